"""A SCIM write that reads nothing first (POST /Users, /Groups) uses the record this instance
authenticated the token with, and its transaction checks the token's guard row: a rotated,
revoked or deleted directory's token is refused at once all the same; a directory from before
guard rows is read on every request until its next token. Round trips: such a write is one; a
read by id is two point reads (the directory, the resource)."""
from __future__ import annotations

from tests.directory.conftest import GROUP_SCHEMA, ScimClient, user_body
from tests.directory.storage_count import storage_requests


def _rotate(admin, directory, **body):
    response = admin.post(f"/api/organizations/{directory.org}/directories/{directory.id}/token", json=body)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def test_a_rotated_token_stops_writing_at_once(admin, new_directory):
    directory = new_directory()
    assert directory.scim.post("/Users", json=user_body("a@contoso.com")).status_code == 201  # this instance trusts the token now
    new = _rotate(admin, directory)
    refused = directory.scim.post("/Users", json=user_body("b@contoso.com"))
    assert refused.status_code == 401, refused.text
    assert ScimClient(directory.base, new).post("/Users", json=user_body("b@contoso.com")).status_code == 201
    assert directory.scim.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "G"}).status_code == 401


def test_a_token_in_its_grace_period_writes_until_the_next_rotation(admin, new_directory):
    directory = new_directory()
    assert directory.scim.post("/Users", json=user_body("a@contoso.com")).status_code == 201
    second = _rotate(admin, directory, grace_period_hours=24)
    assert directory.scim.post("/Users", json=user_body("b@contoso.com")).status_code == 201, "the old token's grace period"
    assert directory.scim.post("/Users", json=user_body("c@contoso.com")).status_code == 201, "now trusted as the previous token"
    _rotate(admin, directory)  # no grace: the token before goes at once, and so does the one in its grace period
    assert directory.scim.post("/Users", json=user_body("d@contoso.com")).status_code == 401
    assert ScimClient(directory.base, second).post("/Users", json=user_body("d@contoso.com")).status_code == 401


def test_a_deleted_directorys_token_stops_writing_at_once(admin, new_directory):
    directory = new_directory()
    assert directory.scim.post("/Users", json=user_body("a@contoso.com")).status_code == 201
    assert admin.delete(f"/api/organizations/{directory.org}/directories/{directory.id}").status_code == 204
    assert directory.scim.post("/Users", json=user_body("b@contoso.com")).status_code == 401


def test_a_directory_from_before_guard_rows_is_read_until_its_next_token(stack, admin, new_directory):
    from shared.directory import directories, token_guard
    from shared.storage import tables

    directory = new_directory()
    stored = directories.get(directory.id)
    legacy = stored.doc.model_dump(mode="json", exclude_unset=True)
    legacy.pop("token_guards")
    tables.transact("directories", directory.id, [tables.Op("update", directories.ROW, legacy, stored.etag, {"organization": directory.org}),
                                                  tables.Op("delete", token_guard.CURRENT + stored.doc.token_hash)])
    assert directory.scim.post("/Users", json=user_body("a@contoso.com")).status_code == 201
    with storage_requests(stack) as sent:
        assert directory.scim.post("/Users", json=user_body("b@contoso.com")).status_code == 201
    assert len(sent) == 2, f"the record is read, then written: {sent}"
    new = _rotate(admin, directory)
    assert directory.scim.post("/Users", json=user_body("c@contoso.com")).status_code == 401
    client = ScimClient(directory.base, new)
    assert client.post("/Users", json=user_body("c@contoso.com")).status_code == 201
    with storage_requests(stack) as sent:
        assert client.post("/Users", json=user_body("d@contoso.com")).status_code == 201
    assert len(sent) == 1, f"guarded since its new token: {sent}"


def test_a_create_is_one_round_trip_and_a_read_two_point_reads(stack, new_directory):
    directory = new_directory()
    user = directory.scim.post("/Users", json=user_body("a@contoso.com")).json()
    with storage_requests(stack) as sent:
        created = directory.scim.post("/Users", json=user_body("b@contoso.com"))
    assert created.status_code == 201 and len(sent) == 1, sent
    with storage_requests(stack) as sent:
        assert directory.scim.get(f"/Users/{user['id']}").status_code == 200
    assert len(sent) == 2 and all(request.startswith("GET ") and "$filter" not in request for request in sent), sent
    with storage_requests(stack) as sent:
        group = directory.scim.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "G"})
    assert group.status_code == 201 and len(sent) == 1, sent
