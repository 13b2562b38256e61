"""Groups at the size Entra provisions them: a displayName lookup is point reads (the name's row
lists its groups), a member PATCH reads none of the group's members and answers 204 with the new
ETag, and the size limit holds without reading members, counting them again only when its count
would refuse."""
from __future__ import annotations

import pytest

from tests.directory.conftest import GROUP_SCHEMA, patch_body, user_body
from tests.directory.storage_count import storage_requests


def _group(directory, name: str, members=()) -> dict:
    response = directory.scim.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": name,
                                                    "members": [{"value": m} for m in members]})
    assert response.status_code == 201, response.text
    return response.json()


def _users(directory, count: int, prefix: str = "u") -> list[str]:
    return [directory.scim.post("/Users", json=user_body(f"{prefix}{i}@contoso.com")).json()["id"] for i in range(count)]


def _by_name(directory, name: str) -> list[str]:
    found = directory.scim.get(f'/Groups?excludedAttributes=members&filter=displayName eq "{name}"')
    assert found.status_code == 200, found.text
    return sorted(group["id"] for group in found.json()["Resources"])


def _add(*user_ids: str) -> dict:
    return patch_body({"op": "Add", "path": "members", "value": [{"value": u} for u in user_ids]})


def _queries(sent: list[str]) -> list[str]:
    return [request for request in sent if "$filter" in request or "()" in request.split("?")[0]]


def _feed_types(admin, directory) -> list[str]:
    items = admin.get(f"/api/organizations/{directory.org}/directories/{directory.id}/events", params={"limit": 100}).json()["items"]
    return [e["type"] for e in items]


def test_a_display_name_lookup_is_point_reads_and_finds_every_group_of_that_name(stack, directory):
    one, two = _group(directory, "Sales")["id"], _group(directory, "sales")["id"]
    _group(directory, "Sales EMEA")
    with storage_requests(stack) as sent:
        found = _by_name(directory, "SALES")
    assert found == sorted([one, two])
    assert not _queries(sent) and all(request.startswith("GET ") for request in sent), sent
    assert _by_name(directory, "Sale") == []


def test_renames_and_deletes_move_a_group_between_name_rows(directory):
    group = _group(directory, "Eng")["id"]
    other = _group(directory, "Eng")["id"]
    renamed = directory.scim.patch(f"/Groups/{group}", json=patch_body({"op": "Replace", "path": "displayName", "value": "Platform"}))
    assert renamed.status_code == 204, renamed.text
    assert _by_name(directory, "Eng") == [other] and _by_name(directory, "platform") == [group]
    case_only = directory.scim.patch(f"/Groups/{group}", json=patch_body({"op": "Replace", "path": "displayName", "value": "PLATFORM"}))
    assert case_only.status_code == 204 and _by_name(directory, "Platform") == [group]
    assert directory.scim.delete(f"/Groups/{group}").status_code == 204
    assert _by_name(directory, "Platform") == [] and _by_name(directory, "Eng") == [other]
    assert directory.scim.delete(f"/Groups/{other}").status_code == 204
    assert _by_name(directory, "Eng") == []
    assert directory.scim.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "Eng"}).status_code == 201  # its row was removed cleanly


def test_a_member_patch_reads_no_members_and_answers_204_with_the_new_etag(stack, admin, directory):
    members = _users(directory, 30)
    group = _group(directory, "Big", members)
    newcomers = _users(directory, 2, "new")
    with storage_requests(stack) as sent:
        patched = directory.scim.patch(f"/Groups/{group['id']}", json=_add(*newcomers))
    assert patched.status_code == 204 and not patched.content
    assert not _queries(sent), sent  # neither the 30 members nor anything else was queried
    read = directory.scim.get(f"/Groups/{group['id']}")
    assert patched.headers["ETag"] == read.headers["ETag"] == read.json()["meta"]["version"] != group["meta"]["version"]
    assert {m["value"] for m in read.json()["members"]} == set(members) | set(newcomers)
    with_body = directory.scim.patch(f"/Groups/{group['id']}?excludedAttributes=members", json=_add(newcomers[0]))
    assert with_body.status_code == 200 and with_body.json()["id"] == group["id"] and "members" not in with_body.json()


def test_an_add_of_present_members_and_a_remove_of_absent_ones_change_nothing(admin, directory):
    present, absent, fresh = _users(directory, 3)
    group = _group(directory, "Ops", [present])["id"]
    before = _feed_types(admin, directory).count("group.user_added")
    assert directory.scim.patch(f"/Groups/{group}", json=_add(present, fresh)).status_code == 204  # Entra repeats itself
    removed = directory.scim.patch(f"/Groups/{group}", json=patch_body({"op": "Remove", "path": "members", "value": [{"value": absent}]}))
    assert removed.status_code == 204
    assert {m["value"] for m in directory.scim.get(f"/Groups/{group}").json()["members"]} == {present, fresh}
    types = _feed_types(admin, directory)
    assert types.count("group.user_added") == before + 1 and "group.user_removed" not in types


@pytest.fixture
def three_members_at_most(monkeypatch):
    from shared.directory import groups

    monkeypatch.setattr(groups, "MAX_MEMBERS", 3)


def test_the_member_limit_holds_and_counts_again_after_a_users_hard_delete(three_members_at_most, new_directory):
    directory = new_directory()
    one, two, three, four, five = _users(directory, 5)
    group = _group(directory, "Small", [one, two, three])["id"]
    refused = directory.scim.patch(f"/Groups/{group}", json=_add(four))
    assert refused.status_code == 400 and refused.json()["scimType"] == "invalidValue"
    assert directory.scim.delete(f"/Users/{three}").status_code == 204  # its membership goes; the group's count stays high
    assert directory.scim.patch(f"/Groups/{group}", json=_add(four)).status_code == 204  # counted again: 2 + 1
    assert directory.scim.patch(f"/Groups/{group}", json=_add(five)).status_code == 400
    assert {m["value"] for m in directory.scim.get(f"/Groups/{group}").json()["members"]} == {one, two, four}


def test_a_remove_of_a_value_that_is_no_id_never_becomes_a_row_key(stack, directory):
    member = _users(directory, 1)[0]
    group = _group(directory, "Keys", [member])["id"]
    hostile = "not-an-id') or (RowKey ne '"
    with storage_requests(stack) as sent:
        removed = directory.scim.patch(f"/Groups/{group}", json=patch_body({"op": "Remove", "path": "members", "value": [{"value": hostile}]}))
    assert removed.status_code == 204
    assert not any("not-an-id" in request for request in sent), sent  # not a member, so nothing is asked of storage about it
    assert [m["value"] for m in directory.scim.get(f"/Groups/{group}").json()["members"]] == [member]


def test_a_patch_of_more_members_than_one_transaction_holds_writes_them_all(admin, new_directory):
    directory = new_directory()
    members = _users(directory, 70)  # three transactions of at most 33 changes and the group row
    group = _group(directory, "Everyone")["id"]
    assert directory.scim.patch(f"/Groups/{group}", json=_add(*members)).status_code == 204
    assert {m["value"] for m in directory.scim.get(f"/Groups/{group}").json()["members"]} == set(members)
    feed = admin.get(f"/api/organizations/{directory.org}/directories/{directory.id}/events", params={"limit": 100}).json()
    added = [e for e in feed["items"] if e["type"] == "group.user_added"]
    more = admin.get(f"/api/organizations/{directory.org}/directories/{directory.id}/events", params={"limit": 100, "after": feed["next"]}).json()["items"] if feed["next"] else []
    assert len(added) + sum(e["type"] == "group.user_added" for e in more) == 70


def test_a_name_row_listing_a_group_of_another_name_does_not_find_it(directory):
    from shared.directory import keys
    from shared.storage import tables

    sales, other = _group(directory, "Sales")["id"], _group(directory, "Marketing")["id"]
    row = tables.get("directories", directory.id, keys.group_name("Sales"))
    tables.replace("directories", directory.id, row.row_key, {"ids": [sales, other]}, row.etag)  # as a stale entry would
    assert _by_name(directory, "sales") == [sales]


def test_an_external_id_another_group_has_is_409_uniqueness_whatever_the_names(directory):
    first = directory.scim.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "Sales", "externalId": "object-1"})
    assert first.status_code == 201
    for name in ("Sales", "Marketing"):  # the same name (its row exists too) and a new one
        taken = directory.scim.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": name, "externalId": "object-1"})
        assert taken.status_code == 409 and taken.json()["scimType"] == "uniqueness", taken.text
    other = _group(directory, "Ops")["id"]
    renamed = directory.scim.patch(f"/Groups/{other}", json=patch_body({"op": "Replace", "path": "externalId", "value": "object-1"},
                                                                       {"op": "Replace", "path": "displayName", "value": "Sales"}))
    assert renamed.status_code == 409 and renamed.json()["scimType"] == "uniqueness", renamed.text
    assert _by_name(directory, "Sales") == [first.json()["id"]] and _by_name(directory, "Ops") == [other]
