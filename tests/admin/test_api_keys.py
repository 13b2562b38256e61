"""API keys of an organization: listed without the key, revoked at once, `last_used` written at
most once per hour per key (against the dev host and Azurite)."""
from __future__ import annotations

import re

from tests.conftest import ApiClient


def _make(admin, org: str | None, name: str = "backend") -> dict:
    made = admin.post("/api/api-keys", json={"organization": org, "name": name})
    assert made.status_code == 201, made.text
    return made.json()


def _apikey_row(key_id: str) -> dict:
    from shared.storage import tables

    stored = tables.get("apikeys", key_id, "apikey")
    assert stored is not None
    return {"doc": stored.doc, "etag": stored.etag}


def test_an_orgs_keys_are_listed_without_the_key(stack, admin, new_org):
    org, other = new_org(), new_org()
    made = [_make(admin, org, f"k{i}") for i in range(3)]
    _make(admin, other)
    listed = admin.get(f"/api/organizations/{org}/api-keys")
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert sorted(item["id"] for item in items) == sorted(m["id"] for m in made)
    for item in items:
        assert set(item) == {"id", "name", "prefix", "created", "last_used"}
        assert item["prefix"] == f"sso_{item['id']}_" and item["last_used"] is None
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item["created"])
    for m in made:
        secret_part = m["key"].rsplit("_", 1)[1]
        assert m["key"] not in listed.text and secret_part[:6] not in listed.text


def test_the_key_list_follows_its_cursor(admin, new_org):
    org = new_org()
    made = {_make(admin, org, f"k{i}")["id"] for i in range(5)}
    seen, cursor, pages = [], None, 0
    while True:
        page = admin.get(f"/api/organizations/{org}/api-keys", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor, pages = page["next"], pages + 1
        if not cursor:
            break
    assert sorted(seen) == sorted(made) and pages >= 3


def test_an_org_key_lists_its_own_org_only(stack, admin, new_org):
    org, other = new_org(), new_org()
    key = _make(admin, org)["key"]
    own = ApiClient(stack.base_url, key)
    assert own.get(f"/api/organizations/{org}/api-keys").status_code == 200
    assert own.get(f"/api/organizations/{other}/api-keys").json()["error"] == "not_found"
    assert ApiClient(stack.base_url, None).get(f"/api/organizations/{org}/api-keys").status_code == 401


def test_a_revoked_key_is_refused_at_once(stack, admin, new_org):
    org = new_org()
    made = _make(admin, org)
    client = ApiClient(stack.base_url, made["key"])
    assert client.get(f"/api/organizations/{org}").status_code == 200  # read (and any cache warmed) before the revocation
    assert admin.delete(f"/api/api-keys/{made['id']}").status_code == 204
    refused = client.get(f"/api/organizations/{org}")
    assert (refused.status_code, refused.json()["error"]) == (401, "unauthorized")
    assert made["id"] not in admin.get(f"/api/organizations/{org}/api-keys").text
    again = admin.delete(f"/api/api-keys/{made['id']}")
    assert (again.status_code, again.json()["error"]) == (404, "not_found")
    revoked = [e for e in admin.get(f"/api/organizations/{org}/events").json()["items"] if e["type"] == "api_key.revoked"]
    assert [e["detail"]["key_id"] for e in revoked] == [made["id"]] and revoked[0]["detail"]["by"] == "bootstrap"


def test_an_org_key_revokes_its_own_orgs_keys_and_no_others(stack, admin, new_org):
    org, other = new_org(), new_org()
    own, sibling, foreign, global_made = _make(admin, org), _make(admin, org), _make(admin, other), _make(admin, None)
    client = ApiClient(stack.base_url, own["key"])
    for refused_id in (foreign["id"], global_made["id"], "bootstrap", "0123456789abcdef", "NOT-A-KEY"):
        answer = client.delete(f"/api/api-keys/{refused_id}")
        assert (answer.status_code, answer.json()["error"]) == (404, "not_found"), refused_id
    for kept in (foreign, global_made):
        assert ApiClient(stack.base_url, kept["key"]).get(f"/api/organizations/{other}").status_code == 200
    assert client.delete(f"/api/api-keys/{sibling['id']}").status_code == 204
    assert ApiClient(stack.base_url, sibling["key"]).get(f"/api/organizations/{org}").status_code == 401
    assert client.delete(f"/api/api-keys/{own['id']}").status_code == 204  # itself: the last thing it does
    assert client.get(f"/api/organizations/{org}").status_code == 401


def test_last_used_is_written_once_an_hour_not_per_request(stack, admin, new_org):
    org = new_org()
    made = _make(admin, org)
    client = ApiClient(stack.base_url, made["key"])
    assert client.get(f"/api/organizations/{org}").status_code == 200
    first = _apikey_row(made["id"])
    assert first["doc"]["last_used"] is not None
    for _ in range(3):
        assert client.get(f"/api/organizations/{org}").status_code == 200
    assert _apikey_row(made["id"])["etag"] == first["etag"]  # no write per request
    listed = {item["id"]: item for item in admin.get(f"/api/organizations/{org}/api-keys").json()["items"]}
    assert listed[made["id"]]["last_used"] == first["doc"]["last_used"]


def test_last_used_older_than_an_hour_is_written_again(stack, admin, new_org):
    from shared.storage import tables

    org = new_org()
    made = _make(admin, org)
    row = _apikey_row(made["id"])
    tables.replace("apikeys", made["id"], "apikey", {**row["doc"], "last_used": "2020-01-01T00:00:00Z"}, row["etag"], {"organization": org})
    assert ApiClient(stack.base_url, made["key"]).get(f"/api/organizations/{org}").status_code == 200
    assert _apikey_row(made["id"])["doc"]["last_used"] > "2020-01-01T00:00:00Z"


def test_the_organization_list_follows_its_cursor_and_needs_the_global_key(stack, admin, new_org):
    made = {new_org() for _ in range(3)}
    seen, cursor = [], None
    while True:
        answer = admin.get("/api/organizations", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert len(page["items"]) <= 2 and all("etag" in item for item in page["items"])
        seen += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert made <= set(seen) and len(seen) == len(set(seen)) and seen == sorted(seen)
    org_key = _make(admin, sorted(made)[0])["key"]
    assert ApiClient(stack.base_url, org_key).get("/api/organizations").json()["error"] == "forbidden"
    assert ApiClient(stack.base_url, None).get("/api/organizations").status_code == 401
    bad = admin.get("/api/organizations", params={"cursor": "not-a-cursor"})
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid_request")
