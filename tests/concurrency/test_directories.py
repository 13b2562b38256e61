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
