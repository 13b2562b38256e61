"""A userName (and an externalId) belongs to one user of a directory: twenty simultaneous
creates of one userName give exactly one 201; twenty renames to one name give one winner; twenty
token rotations leave exactly one working token."""
from __future__ import annotations

import json

from tests.concurrency.racing import RACERS, no_server_errors, one_winner, race
from tests.directory.conftest import SCIM, ScimClient, new_directory, user_body  # noqa: F401 (new_directory: a fixture)

_HEADERS = {"Content-Type": SCIM}


def _user_rows(directory_id: str) -> list:
    from shared.storage import tables

    return tables.query_all("directories", tables.PREFIX_FILTER, {"partition": directory_id, **tables.prefix_range("u_")}, limit=1000)


def _conflicts_are_uniqueness(responses, winner) -> None:
    for response in responses:
        if response is not winner:
            assert response.status_code == 409 and response.json()["scimType"] == "uniqueness", response.text


def test_twenty_creates_of_one_user_name_give_one_201(stack, new_directory):
    directory = new_directory()
    body = json.dumps(user_body("race@contoso.com"))
    responses = race(stack, lambda i, s: s.post(f"{directory.base}/Users", data=body, headers=_HEADERS), key=directory.token)
    winner = one_winner(responses, lambda r: r.status_code == 201)
    _conflicts_are_uniqueness(responses, winner)
    assert [row.doc["id"] for row in _user_rows(directory.id)] == [winner.json()["id"]]


def test_twenty_creates_with_one_external_id_give_one_201(stack, new_directory):
    directory = new_directory()
    bodies = [json.dumps(user_body(f"user{i}@contoso.com", externalId="same-object-id")) for i in range(RACERS)]
    responses = race(stack, lambda i, s: s.post(f"{directory.base}/Users", data=bodies[i], headers=_HEADERS), key=directory.token)
    winner = one_winner(responses, lambda r: r.status_code == 201)
    _conflicts_are_uniqueness(responses, winner)
    assert len(_user_rows(directory.id)) == 1


def test_twenty_renames_to_one_user_name_give_one_winner(stack, new_directory):
    directory = new_directory()
    ids = [directory.scim.post("/Users", json=user_body(f"user{i}@contoso.com")).json()["id"] for i in range(RACERS)]
    body = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "Replace", "path": "userName", "value": "taken@contoso.com"}]})
    responses = race(stack, lambda i, s: s.patch(f"{directory.base}/Users/{ids[i]}", data=body, headers=_HEADERS), key=directory.token)
    winner = one_winner(responses, lambda r: r.status_code == 200)
    _conflicts_are_uniqueness(responses, winner)
    names = sorted(row.doc["scim"]["userName"] for row in _user_rows(directory.id))
    assert names.count("taken@contoso.com") == 1 and len(names) == RACERS
    assert directory.scim.get('/Users?filter=userName eq "taken@contoso.com"').json()["Resources"][0]["id"] == winner.json()["id"]


def test_twenty_token_rotations_leave_one_working_token(stack, admin, new_directory):
    directory = new_directory()
    assert directory.scim.post("/Users", json=user_body("warm@contoso.com")).status_code == 201  # this instance now trusts the token for writes
    url = f"{stack.base_url}/api/organizations/{directory.org}/directories/{directory.id}/token"
    responses = race(stack, lambda i, s: s.post(url), key=stack.bootstrap_key)
    no_server_errors(responses)
    assert all(r.status_code in (200, 409) for r in responses)
    # Rotations that read the record one after another each succeed; the answered tokens but the
    # last stored one all stop working (no grace period was asked for): exactly one works.
    issued = [r.json()["token"] for r in responses if r.status_code == 200]
    working = [token for token in issued if ScimClient(directory.base, token).get("/Users").status_code == 200]
    assert len(issued) >= 1 and len(working) == 1
    assert directory.scim.get("/Users").status_code == 401
    # writes that read nothing first (their transaction checks the token) agree
    assert directory.scim.post("/Users", json=user_body("old@contoso.com")).status_code == 401
    writes = [ScimClient(directory.base, token).post("/Users", json=user_body(f"new{i}@contoso.com")).status_code for i, token in enumerate(issued)]
    assert sorted(writes) == sorted([201] + [401] * (len(issued) - 1)), writes


def _group_body(name: str) -> dict:
    return {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name}


def _add_members(*user_ids: str) -> str:
    return json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "Add", "path": "members", "value": [{"value": user_id} for user_id in user_ids]}]})


def _twenty_add_one_member_each(stack, directory) -> tuple[list[str], str, list]:
    """Twenty users and a group, then twenty simultaneous PATCHes, each adding one of them."""
    users = [directory.scim.post("/Users", json=user_body(f"m{i}@contoso.com")).json()["id"] for i in range(RACERS)]
    group = directory.scim.post("/Groups", json=_group_body("Platform")).json()["id"]
    responses = race(stack, lambda i, s: s.patch(f"{directory.base}/Groups/{group}", data=_add_members(users[i]), headers=_HEADERS),
                     key=directory.token)
    no_server_errors(responses)
    return users, group, responses


def test_twenty_groups_created_with_one_display_name_are_all_found_by_it(stack, new_directory):
    """Display names are not unique: the one row listing a name's groups (written under its ETag)
    loses none of twenty simultaneous creates, and each of them gets through."""
    directory = new_directory()
    body = json.dumps(_group_body("Sales"))
    responses = race(stack, lambda i, s: s.post(f"{directory.base}/Groups", data=body, headers=_HEADERS), key=directory.token)
    no_server_errors(responses)
    assert [r.status_code for r in responses] == [201] * RACERS, [r.text for r in responses if r.status_code != 201]
    created = {r.json()["id"] for r in responses}
    found = directory.scim.get('/Groups?excludedAttributes=members&filter=displayName eq "SALES"').json()
    assert {group["id"] for group in found["Resources"]} == created and found["totalResults"] == len(created)


def test_twenty_simultaneous_adds_of_one_member_make_one_membership_and_one_event(stack, admin, new_directory):
    directory = new_directory()
    user = directory.scim.post("/Users", json=user_body("member@contoso.com")).json()["id"]
    group = directory.scim.post("/Groups", json=_group_body("Engineering")).json()["id"]
    body = _add_members(user)
    responses = race(stack, lambda i, s: s.patch(f"{directory.base}/Groups/{group}", data=body, headers=_HEADERS), key=directory.token)
    no_server_errors(responses)
    assert all(r.status_code in (204, 409) for r in responses) and any(r.status_code == 204 for r in responses), [r.status_code for r in responses]
    members = directory.scim.get(f"/Groups/{group}").json()["members"]
    assert [m["value"] for m in members] == [user]
    feed = admin.get(f"/api/organizations/{directory.org}/directories/{directory.id}/events", params={"limit": 100}).json()["items"]
    assert [e["type"] for e in feed].count("group.user_added") == 1


def test_twenty_simultaneous_member_patches_of_one_group_lose_none(stack, new_directory):
    """Each member change also writes the group row under its ETag: the patches that were answered
    204 are exactly the members afterwards (a 409 asks Entra to retry)."""
    directory = new_directory()
    users, group, responses = _twenty_add_one_member_each(stack, directory)
    assert all(r.status_code in (204, 409) for r in responses), [r.status_code for r in responses]
    answered = {users[i] for i, r in enumerate(responses) if r.status_code == 204}
    assert answered and {m["value"] for m in directory.scim.get(f"/Groups/{group}").json()["members"]} == answered


def test_twenty_simultaneous_adds_never_take_a_group_past_its_limit(stack, new_directory, monkeypatch):
    from shared.directory import groups

    monkeypatch.setattr(groups, "MAX_MEMBERS", 5)
    directory = new_directory()
    users, group, responses = _twenty_add_one_member_each(stack, directory)
    members = {m["value"] for m in directory.scim.get(f"/Groups/{group}").json()["members"]}
    assert len(members) <= 5 and members == {users[i] for i, r in enumerate(responses) if r.status_code == 204}
