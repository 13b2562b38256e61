"""Bad SCIM input: a 4xx in SCIM's error shape (never a 500), recorded in the org's events as a
refused request of the directory; storage down: 503 in SCIM's shape."""
from __future__ import annotations

import json
import uuid

import pytest

from tests.admin.test_outages import dead_storage  # noqa: F401 (a fixture, used by name)
from tests.directory.conftest import GROUP_SCHEMA, USER_SCHEMA, patch_body, user_body
from tests.lifecycle.helpers import events_of

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def _refused(response, status: int, scim_type: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status) and body["detail"]
    if scim_type:
        assert body.get("scimType") == scim_type, body
    assert "Traceback" not in response.text
    return body


@pytest.fixture
def user(directory) -> dict:
    return directory.scim.post("/Users", json=user_body("ada@contoso.com")).json()


@pytest.mark.parametrize("raw", [b"{", b"[1, 2]", b"\xff\xfe", b'{"userName": NaN}', b"[" * 5000 + b"]" * 5000, b"null", b""])
def test_malformed_json(new_directory, raw):
    directory = new_directory()
    _refused(directory.scim.post("/Users", data=raw, headers={"Content-Type": "application/scim+json"}), 400, "invalidSyntax")


def test_other_media_types_are_415(new_directory):
    directory = new_directory()
    _refused(directory.scim.post("/Users", data=b"userName=x", headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)
    # application/json is accepted as well as application/scim+json
    accepted = directory.scim.post("/Users", data=json.dumps({"schemas": [USER_SCHEMA], "userName": "j@contoso.com"}),
                                   headers={"Content-Type": "application/json"})
    assert accepted.status_code == 201, accepted.text


@pytest.mark.parametrize("body", [
    {"schemas": ["urn:example:unknown"], "userName": "x"},
    {"schemas": [USER_SCHEMA, "urn:example:unknown"], "userName": "x"},
    {"userName": "x"},
    {"schemas": USER_SCHEMA, "userName": "x"},
])
def test_unknown_or_missing_schemas(new_directory, body):
    _refused(new_directory().scim.post("/Users", json=body), 400, "invalidValue")


@pytest.mark.parametrize("body", [
    {"schemas": [USER_SCHEMA], "userName": 5},
    {"schemas": [USER_SCHEMA], "userName": "x", "active": "maybe"},
    {"schemas": [USER_SCHEMA], "userName": "x", "emails": "a@b.c"},
    {"schemas": [USER_SCHEMA], "userName": "x", "name": ["a"]},
    {"schemas": [USER_SCHEMA], "userName": "x", "notAnAttribute": 1},
    {"schemas": [USER_SCHEMA]},
    {"schemas": [GROUP_SCHEMA], "displayName": "x"},
])
def test_wrong_types(new_directory, body):
    assert 400 <= new_directory().scim.post("/Users", json=body).status_code < 500


@pytest.mark.parametrize("text", ['userName eq', 'userName eq "x', 'userName co "x"', 'title eq "x"', 'userName eq "a" or userName eq "b"',
                                  'not (userName eq "x")', "userName eq 5", 'emails[value eq "x"].value eq "y"', "x" * 2000, "((((", "\x00"])
def test_unparsable_or_unsupported_filters(new_directory, text):
    _refused(new_directory().scim.get("/Users", params={"filter": text}), 400, "invalidFilter")


@pytest.mark.parametrize("ops", [
    [{"op": "remove", "path": "notAnAttribute"}],
    [{"op": "replace", "path": "emails[type eq \"work\"", "value": "x"}],
    [{"op": "move", "path": "title", "value": "x"}],
    [{"op": "replace", "path": "active", "value": {"nested": True}}],
    [],
    [{"path": "title"}],
    [{"op": "replace", "path": "", "value": "x"}],
])
def test_bad_patch(directory, user, ops):
    response = directory.scim.patch(f"/Users/{user['id']}", json=patch_body(*ops))
    body = _refused(response, 400)
    assert body.get("scimType") in ("invalidPath", "invalidValue", "invalidSyntax", "noTarget")
    assert directory.scim.get(f"/Users/{user['id']}").json()["userName"] == "ada@contoso.com"  # nothing changed


def test_bad_member_paths_and_unknown_members(directory, user):
    group = directory.scim.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "G"}).json()
    _refused(directory.scim.patch(f"/Groups/{group['id']}", json=patch_body({"op": "remove", "path": "members[display eq \"x\"]"})), 400, "invalidPath")
    _refused(directory.scim.patch(f"/Groups/{group['id']}", json=patch_body({"op": "add", "path": "members", "value": [{"value": uuid.uuid4().hex}]})), 400, "invalidValue")
    _refused(directory.scim.patch(f"/Groups/{group['id']}", json=patch_body({"op": "add", "path": "members", "value": [{"nope": 1}]})), 400, "invalidValue")


def test_huge_lists(directory, user):
    group = directory.scim.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "G"}).json()
    members = [{"value": uuid.uuid4().hex} for _ in range(1001)]
    _refused(directory.scim.patch(f"/Groups/{group['id']}", json=patch_body({"op": "add", "path": "members", "value": members})), 413)
    ops = [{"op": "replace", "path": "title", "value": "x"}] * 1001
    _refused(directory.scim.patch(f"/Users/{user['id']}", json=patch_body(*ops)), 413)
    _refused(directory.scim.post("/Users", data=b" " * (1024 * 1024 + 1), headers={"Content-Type": "application/scim+json"}), 413)
    _refused(directory.scim.post("/Users", json=user_body("big@contoso.com", title="x" * 40_000)), 413)


def test_bad_paging_and_attributes(directory, user):
    _refused(directory.scim.get("/Users", params={"startIndex": "x"}), 400)
    _refused(directory.scim.get("/Users", params={"count": "1e3"}), 400)
    page = directory.scim.get("/Users", params={"startIndex": "-5", "count": "-1"}).json()  # RFC: below 1 means 1, below 0 means 0
    assert page["startIndex"] == 1 and page["Resources"] == []
    only = directory.scim.get("/Users", params={"attributes": "userName"}).json()["Resources"][0]
    assert set(only) == {"schemas", "id", "userName"}


def test_unknown_ids_and_paths_are_404(directory):
    for path in (f"/Users/{uuid.uuid4().hex}", "/Users/..%2F..", "/Groups/x", "/Nope", "/Schemas/urn:nope", "/ResourceTypes/Nope"):
        _refused(directory.scim.get(path), 404)


def test_refused_requests_are_in_the_directorys_trail(admin, directory):
    directory.scim.post("/Users", json={"schemas": ["urn:example:unknown"], "userName": "x"})
    directory.scim.__class__(directory.base, "scim_wrong").get("/Users")
    refused = events_of(admin, directory.org, "directory.request_refused")
    assert len(refused) == 2
    assert {e["detail"]["directory"] for e in refused} == {directory.id}
    assert {e["detail"]["status"] for e in refused} == {400, 401}
    assert all("scim_wrong" not in str(e) for e in refused)


def test_storage_down_answers_503(new_directory, request):
    directory = new_directory()
    request.getfixturevalue("dead_storage")
    response = directory.scim.post("/Users", json=user_body("down@contoso.com"))
    _refused(response, 503)
    response = directory.scim.get(f'/Users?filter=userName eq "{uuid.uuid4()}"')
    _refused(response, 503)
