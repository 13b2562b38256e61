"""Directories by the admin API: the Secret Token shown once, stored hashed, compared whole, with
a life; rotation (at once or after a grace period); another org's directories look absent;
deleting a directory (or its org) deletes all it holds."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from tests.conftest import ApiClient
from tests.directory.conftest import ScimClient, user_body
from tests.lifecycle.helpers import events_of


def _rows(directory_id: str) -> list:
    from shared.storage import tables

    return tables.query_all("directories", "PartitionKey eq @pk", {"pk": directory_id}, limit=10_000)


def test_create_answers_the_tenant_url_and_a_token_shown_once(admin, new_directory, stack):
    directory = new_directory()
    assert directory.base == f"{stack.base_url}/scim/v2/{directory.id}"
    read = admin.get(f"/api/organizations/{directory.org}/directories/{directory.id}").json()
    assert "token" not in read and "token_hash" not in read
    assert read["scim_base_url_compatible"] == directory.base + "?aadOptscim062020" and "aadOptscim062020" in read["scim_base_url_note"]
    assert read["token_expires_on"] == (datetime.now(timezone.utc).date() + timedelta(days=365)).isoformat()
    listed = admin.get(f"/api/organizations/{directory.org}/directories").json()["items"]
    assert [d["id"] for d in listed] == [directory.id] and "token" not in listed[0]
    # Stored: the SHA-256 of the token, never the token
    [record] = [row for row in _rows(directory.id) if row.row_key == "directory"]
    assert directory.token not in str(record.doc)
    assert record.doc["token_hash"] == hashlib.sha256(directory.token.encode()).hexdigest()


def test_a_wrong_missing_or_other_directorys_token_is_401(new_directory, stack):
    one, other = new_directory(), new_directory()
    assert one.scim.get("/Users").status_code == 200
    for token in (None, "", other.token, one.token[:-1], one.token + "x", one.token.upper()):
        client = ScimClient(one.base, token) if token else ApiClient(one.base, None)
        response = client.get("/Users")
        assert response.status_code == 401, (token, response.text)
        assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    # an unknown directory answers exactly as a wrong token does
    unknown = ScimClient(f"{stack.base_url}/scim/v2/dir_aaaaaaaaaaaaaaaaaaaa", one.token).get("/Users")
    assert unknown.status_code == 401 and unknown.json()["detail"] == one.scim.__class__(one.base, "nope").get("/Users").json()["detail"]


def test_token_expiry_is_settable_and_an_expired_token_is_refused(admin, new_directory):
    in_ten = (datetime.now(timezone.utc).date() + timedelta(days=10)).isoformat()
    directory = new_directory(token_expires_on=in_ten)
    assert admin.get(f"/api/organizations/{directory.org}/directories/{directory.id}").json()["token_expires_on"] == in_ten
    for bad in ("2020-01-01", "tomorrow", (datetime.now(timezone.utc).date() + timedelta(days=800)).isoformat()):
        response = admin.post(f"/api/organizations/{directory.org}/directories", json={"name": "x", "token_expires_on": bad})
        assert response.status_code == 400 and response.json()["error"] == "invalid_field"
    # Expire it in storage (a test cannot wait a year)
    from shared.directory import directories

    stored = directories.get(directory.id)
    directories.save(stored.doc.replace(token_expires_on="2020-01-01"), stored.etag)
    response = directory.scim.get("/Users")
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_a_new_token_stops_the_old_one_at_once(admin, new_directory):
    directory = new_directory()
    response = admin.post(f"/api/organizations/{directory.org}/directories/{directory.id}/token")
    assert response.status_code == 200, response.text
    new = response.json()["token"]
    assert new != directory.token and response.json()["previous_token_valid_until"] is None
    assert directory.scim.get("/Users").status_code == 401
    assert ScimClient(directory.base, new).get("/Users").status_code == 200


def test_a_grace_period_keeps_the_old_token_for_a_while(admin, new_directory):
    directory = new_directory()
    response = admin.post(f"/api/organizations/{directory.org}/directories/{directory.id}/token", json={"grace_period_hours": 24})
    assert response.status_code == 200, response.text
    new = response.json()["token"]
    assert directory.scim.get("/Users").status_code == 200 and ScimClient(directory.base, new).get("/Users").status_code == 200
    # a second rotation ends the first token's grace: only the latest previous token is kept
    newest = admin.post(f"/api/organizations/{directory.org}/directories/{directory.id}/token").json()["token"]
    assert directory.scim.get("/Users").status_code == 401 and ScimClient(directory.base, new).get("/Users").status_code == 401
    assert ScimClient(directory.base, newest).get("/Users").status_code == 200
    too_long = admin.post(f"/api/organizations/{directory.org}/directories/{directory.id}/token", json={"grace_period_hours": 1000})
    assert too_long.status_code == 400


def test_another_orgs_key_sees_no_directory(admin, new_directory, new_org, stack):
    directory = new_directory()
    other_org = new_org()
    key = admin.post("/api/api-keys", json={"name": "other", "organization": other_org}).json()["key"]
    other = ApiClient(stack.base_url, key)
    assert other.get(f"/api/organizations/{directory.org}/directories/{directory.id}").status_code == 404
    assert other.get(f"/api/organizations/{other_org}/directories/{directory.id}").status_code == 404
    assert other.post(f"/api/organizations/{other_org}/directories/{directory.id}/token").status_code == 404
    assert directory.scim.get("/Users").status_code == 200


def test_deleting_a_directory_deletes_everything_it_holds(admin, new_directory):
    directory = new_directory()
    user = directory.scim.post("/Users", json=user_body("ada@contoso.com", externalId="ada")).json()
    directory.scim.post("/Groups", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G", "members": [{"value": user["id"]}]})
    assert len(_rows(directory.id)) > 5
    assert admin.delete(f"/api/organizations/{directory.org}/directories/{directory.id}").status_code == 204
    assert _rows(directory.id) == []
    assert directory.scim.get("/Users").status_code == 401
    assert admin.get(f"/api/organizations/{directory.org}/directories/{directory.id}").status_code == 404


def test_deleting_the_org_deletes_its_directories(admin, new_directory):
    directory = new_directory()
    directory.scim.post("/Users", json=user_body("ada@contoso.com"))
    assert admin.delete(f"/api/organizations/{directory.org}").status_code == 204
    assert _rows(directory.id) == []


def test_directory_changes_are_events_of_the_org(admin, new_directory):
    directory = new_directory()
    patched = admin.patch(f"/api/organizations/{directory.org}/directories/{directory.id}", json={"name": "Renamed", "idp_id_attribute": "externalId"})
    assert patched.status_code == 200 and patched.json()["name"] == "Renamed"
    assert {"directory.created", "directory.updated"} <= {e["type"] for e in events_of(admin, directory.org)}


def test_a_body_with_several_problems_names_them_all_in_one_400(admin, new_directory):
    directory = new_directory()
    url = f"/api/organizations/{directory.org}/directories"
    response = admin.post(url, json={"name": 5, "token_expires_on": "2020-01-01", "bogus": True})
    assert response.status_code == 400, response.text
    problems = {(p["field"], p["code"]) for p in response.json()["problems"]}
    assert problems == {("bogus", "unknown_field"), ("name", "invalid_field"), ("token_expires_on", "invalid_field")}, problems
    missing = admin.post(url, json={})
    assert missing.status_code == 400 and missing.json()["error"] == "missing_field" and "`name` is required" in missing.json()["error_description"]
    one = f"{url}/{directory.id}"
    strict = admin.patch(f"{one}/users/nobody", json={"sso_required": "true"})  # strict: a string is not a boolean
    assert strict.status_code == 400 and [p["field"] for p in strict.json()["problems"]] == ["sso_required"], strict.text
    token = admin.post(f"{one}/token", json={"grace_period_hours": 10_000, "token_expires_on": "soon"})
    assert token.status_code == 400 and {p["field"] for p in token.json()["problems"]} == {"grace_period_hours", "token_expires_on"}
    assert admin.post(f"{one}/token").status_code == 200, "the token body stays optional"
