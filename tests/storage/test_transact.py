"""tables.transact against Azurite: a delete in a batch is a guard (unlike delete_entity alone)."""
from __future__ import annotations

import secrets

import pytest

from shared.storage import tables


def _row(stack) -> tuple[str, str, str]:
    partition, row = "test-" + secrets.token_hex(4), "row"
    etag = tables.insert("activity", partition, row, {"n": 1})
    return partition, row, etag


def test_a_batch_delete_with_a_stale_etag_fails_and_keeps_the_row(stack):
    partition, row, etag = _row(stack)
    tables.replace("activity", partition, row, {"n": 2}, etag)
    with pytest.raises(tables.EtagMismatch):
        tables.transact("activity", partition, [tables.Op("delete", row, etag=etag)])
    assert tables.get("activity", partition, row).doc == {"n": 2}


def test_a_batch_delete_of_a_missing_row_fails(stack):
    partition, row, etag = _row(stack)
    tables.transact("activity", partition, [tables.Op("delete", row, etag=etag)])
    assert tables.get("activity", partition, row) is None
    with pytest.raises(tables.EtagMismatch):  # the second of two racers loses
        tables.transact("activity", partition, [tables.Op("delete", row, etag=etag)])
