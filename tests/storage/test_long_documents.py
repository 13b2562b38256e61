"""A record longer than one Table Storage string property (64 KiB, 32K UTF-16 characters)
continues in `doc_1`, `doc_2`... of the same entity, against Azurite (which refuses a longer
property, as Table Storage does): every operation reads it back whole, a replace that shrinks
it leaves no piece behind, etag guards hold, and an entity never passes the service's 1 MiB."""
from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone

import pytest

from shared.storage import tables

TABLE = "activity"


def _long(n_groups: int = 3000) -> dict:
    return {"profile": {"groups": [f"{i:08d}-0000-4000-8000-000000000000" for i in range(n_groups)]}, "status": "code_issued"}


def _raw(partition: str, row: str) -> dict:
    """The entity as stored (the SDK's view): which properties it has."""
    return dict(tables._client(TABLE).get_entity(partition, row))


def _key() -> tuple[str, str]:
    return "test-" + secrets.token_hex(4), "login_" + secrets.token_hex(4)


def test_a_long_document_is_stored_in_pieces_and_read_back_whole(stack):
    partition, row = _key()
    doc = _long()
    tables.insert(TABLE, partition, row, doc, {"expires_at": datetime.now(timezone.utc)})
    assert tables.get(TABLE, partition, row).doc == doc
    raw = _raw(partition, row)
    pieces = sorted(name for name in raw if name.startswith("doc"))
    assert pieces == ["doc", "doc_1", "doc_2", "doc_3"] and all(len(raw[p]) <= tables.DOC_PIECE for p in pieces)
    found, _ = tables.query_page(TABLE, "PartitionKey eq @p", {"p": partition}, 10)
    assert [s.doc for s in found] == [doc]


def test_a_short_document_is_one_property_as_before(stack):
    partition, row = _key()
    tables.insert(TABLE, partition, row, {"status": "pending"})
    assert sorted(n for n in _raw(partition, row) if n.startswith("doc")) == ["doc"]


def test_a_replace_that_shrinks_the_document_leaves_no_piece(stack):
    partition, row = _key()
    etag = tables.insert(TABLE, partition, row, _long())
    tables.transact(TABLE, partition, [tables.Op("update", row, {"status": "redeemed"}, etag)])
    assert tables.get(TABLE, partition, row).doc == {"status": "redeemed"}
    assert sorted(n for n in _raw(partition, row) if n.startswith("doc")) == ["doc"]


def test_the_etag_guard_holds_for_a_long_document(stack):
    partition, row = _key()
    etag = tables.insert(TABLE, partition, row, {"status": "pending"})
    tables.transact(TABLE, partition, [tables.Op("update", row, _long(), etag)])
    with pytest.raises(tables.EtagMismatch):  # the second of two racers with the same read
        tables.transact(TABLE, partition, [tables.Op("update", row, _long(), etag)])
    assert tables.get(TABLE, partition, row).doc == _long()


def test_a_document_past_the_entity_limit_is_refused_before_any_write(stack):
    partition, row = _key()
    with pytest.raises(tables.DocumentTooLarge):
        tables.insert(TABLE, partition, row, {"x": "a" * tables.MAX_DOC_CHARS})
    assert tables.get(TABLE, partition, row) is None


def _entity_size(entity: dict) -> int:
    """Table Storage's size formula: 4 + 2 * len(PartitionKey + RowKey) + per property 8 +
    2 * len(name) + the value (a string 4 + 2 * len; a DateTime 8)."""
    size = 4 + 2 * len(entity["PartitionKey"] + entity["RowKey"])
    for name, value in entity.items():
        if name not in ("PartitionKey", "RowKey"):
            size += 8 + 2 * len(name) + (4 + 2 * len(value) if isinstance(value, str) else 8)
    return size


def test_the_largest_document_fits_the_1_mib_entity():
    text = "a" * (tables.MAX_DOC_CHARS - 8)  # json.dumps({"x": ...}) adds 8 characters
    entity = tables._entity("x" * 64, "login_" + "y" * 32, {"x": text}, {"expires_at": datetime.now(timezone.utc)})
    assert len(entity) == 2 + tables.MAX_DOC_PIECES + 1
    assert _entity_size(entity) <= 1024 * 1024


def test_a_profile_of_the_most_groups_fits_a_login_row():
    """graph_groups.MAX_GROUPS is what a login row can carry, with room for the rest of the login."""
    from shared.oidc.graph_groups import MAX_GROUPS

    groups = json.dumps([f"{i:08x}-0000-4000-8000-000000000000" for i in range(MAX_GROUPS)], separators=(",", ":"))
    assert len(groups) + 64_000 <= tables.MAX_DOC_CHARS  # 64,000 characters left for claims, flow and fields
