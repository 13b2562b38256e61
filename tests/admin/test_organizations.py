"""Admin API for organizations, API keys and events, against the dev host and Azurite."""
from __future__ import annotations

import concurrent.futures
import secrets

from tests.conftest import ApiClient


def test_create_get_patch_delete_organization(admin, new_org):
    slug = new_org(name="Contoso Ltd")
    got = admin.get(f"/api/organizations/{slug}")
    assert got.status_code == 200
    org = got.json()
    assert org["id"] == slug and org["name"] == "Contoso Ltd"
    assert org["allowed_sign_in_methods"] == ["password", "sso"]
    assert org["provisioning"] == "jit" and org["sso_enforcement"] == "none"
    assert org["verified_domains"] == [] and org["region"] == "eu"

    patched = admin.patch(f"/api/organizations/{slug}", json={"name": "Contoso"}, headers={"If-Match": org["etag"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Contoso" and patched.json()["etag"] != org["etag"]

    assert admin.delete(f"/api/organizations/{slug}").status_code == 204
    assert admin.get(f"/api/organizations/{slug}").json()["error"] == "not_found"


def test_duplicate_slug_is_refused(admin, new_org):
    slug = new_org()
    again = admin.post("/api/organizations", json={"id": slug, "name": "x", "redirect_uris": ["https://a.example/cb"]})
    assert again.status_code == 409 and again.json()["error"] == "already_exists"


def test_stale_if_match_is_a_conflict(admin, new_org):
    slug = new_org()
    etag = admin.get(f"/api/organizations/{slug}").json()["etag"]
    assert admin.patch(f"/api/organizations/{slug}", json={"name": "one"}, headers={"If-Match": etag}).status_code == 200
    stale = admin.patch(f"/api/organizations/{slug}", json={"name": "two"}, headers={"If-Match": etag})
    assert stale.status_code == 409 and stale.json()["error"] == "conflict"
    assert admin.get(f"/api/organizations/{slug}").json()["name"] == "one"


def test_concurrent_patches_never_silently_overwrite(admin, new_org):
    slug = new_org()
    etag = admin.get(f"/api/organizations/{slug}").json()["etag"]
    names = [f"name-{i}" for i in range(6)]
    with concurrent.futures.ThreadPoolExecutor(len(names)) as pool:
        results = list(pool.map(lambda n: admin.patch(f"/api/organizations/{slug}", json={"name": n}, headers={"If-Match": etag}), names))
    winners = [name for name, r in zip(names, results) if r.status_code == 200]
    assert len(winners) == 1
    assert all(r.status_code == 409 for r in results if r.status_code != 200)
    assert admin.get(f"/api/organizations/{slug}").json()["name"] == winners[0]


def test_bad_bodies_get_stable_4xx_codes(admin, new_org):
    slug = new_org()
    cases = [
        (admin.post("/api/organizations", data="{not json", headers={"Content-Type": "application/json"}), 400, "invalid_json"),
        (admin.post("/api/organizations", data="id=x", headers={"Content-Type": "application/x-www-form-urlencoded"}), 415, "unsupported_media_type"),
        (admin.post("/api/organizations", json=["a"]), 400, "invalid_json"),
        (admin.post("/api/organizations", json={"id": "ok-slug", "name": "x", "redirect_uris": ["https://a/cb"], "colour": "red"}), 400, "unknown_field"),
        (admin.post("/api/organizations", json={"id": "Bad Slug!", "name": "x", "redirect_uris": ["https://a.example/cb"]}), 400, "invalid_field"),
        (admin.post("/api/organizations", json={"id": "no-uris", "name": "x"}), 400, "missing_field"),
        (admin.post("/api/organizations", json={"id": "http-uri", "name": "x", "redirect_uris": ["http://app.example.com/cb"]}), 400, "invalid_field"),
        (admin.patch(f"/api/organizations/{slug}", json={"allowed_sign_in_methods": ["magic"]}), 400, "invalid_field"),
        (admin.patch(f"/api/organizations/{slug}", json={"id": "rename"}), 400, "unknown_field"),
        (admin.post("/api/organizations", data=b"{" + b" " * (1024 * 1024 + 1) + b"}", headers={"Content-Type": "application/json"}), 413, "payload_too_large"),
        (admin.get("/api/organizations/NOT_A_SLUG"), 404, "not_found"),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["error"]) == (status, code), response.text
        assert "Traceback" not in response.text


def test_keys_unauthorized_forbidden_and_org_isolation(stack, admin, new_org):
    mine, theirs = new_org(), new_org()
    assert ApiClient(stack.base_url, None).get(f"/api/organizations/{mine}").json()["error"] == "unauthorized"
    assert ApiClient(stack.base_url, "sso_0000000000000000_" + "A" * 43).get(f"/api/organizations/{mine}").status_code == 401

    created = admin.post("/api/api-keys", json={"organization": mine, "name": "backend"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert created.json()["organization"] == mine and "hash" not in created.json()
    org_client = ApiClient(stack.base_url, key)
    assert org_client.get(f"/api/organizations/{mine}").status_code == 200
    other = org_client.get(f"/api/organizations/{theirs}")
    assert other.status_code == 404 and other.json()["error"] == "not_found"
    absent = org_client.get("/api/organizations/no-such-org-at-all")
    # the same body but for the request's own correlation id
    assert absent.json() == other.json() | {"error_description": absent.json()["error_description"], "correlation_id": absent.json()["correlation_id"]}
    assert org_client.post("/api/api-keys", json={"organization": None, "name": "x"}).json()["error"] == "forbidden"
    assert org_client.post("/api/organizations", json={"id": "x-" + secrets.token_hex(3), "name": "x", "redirect_uris": ["https://a.example/cb"]}).status_code == 403


def test_api_key_is_shown_once_and_stored_hashed(stack, admin, new_org):
    from shared.storage import tables

    slug = new_org()
    created = admin.post("/api/api-keys", json={"organization": slug, "name": "backend"}).json()
    stored = tables.get("apikeys", created["id"], "apikey")
    assert created["key"] not in str(stored.doc)
    assert stored.doc["hash"] != created["key"]


def test_events_record_changes_newest_first(admin, new_org):
    slug = new_org()
    admin.patch(f"/api/organizations/{slug}", json={"name": "renamed"})
    page = admin.get(f"/api/organizations/{slug}/events").json()
    assert [e["type"] for e in page["items"]][:2] == ["organization.updated", "organization.created"]
    assert set(page["items"][0]) == {"id", "time", "type", "connection", "outcome", "error", "detail"}
    first = admin.get(f"/api/organizations/{slug}/events", params={"limit": 1}).json()
    assert len(first["items"]) == 1 and first["next"]
    second = admin.get(f"/api/organizations/{slug}/events", params={"limit": 1, "cursor": first["next"]}).json()
    assert second["items"][0]["type"] == "organization.created"


def test_health_is_anonymous_and_terse(anonymous):
    response = anonymous.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["X-Correlation-Id"]


def test_deleting_an_organization_deletes_what_it_owns(stack, admin, new_org):
    from shared.secret_store import get_secret_store
    from shared.storage import tables
    from tests.flows.helpers import create_oidc_connection, register_oidc_app

    slug = new_org()
    connection = create_oidc_connection(admin, slug, register_oidc_app(stack))
    key = admin.post("/api/api-keys", json={"organization": slug, "name": "k"}).json()
    admin.post(f"/api/organizations/{slug}/invitations", json={"email": "someone@example.com"})
    assert admin.delete(f"/api/organizations/{slug}").status_code == 204

    assert tables.get("connections", connection["id"], "connection") is None
    assert get_secret_store().list_versions(f"{connection['id']}/client-secret") == []
    assert tables.get("apikeys", key["id"], "apikey") is None
    assert tables.query_all("organizations", "PartitionKey eq @p", {"p": slug}) == []
    assert tables.query_all("activity", "PartitionKey eq @p", {"p": slug}) == []
    assert ApiClient(stack.base_url, key["key"]).get(f"/api/organizations/{slug}").status_code in (401, 404)


def test_refused_input_about_an_org_is_recorded_in_its_events(stack, admin, anonymous, new_org):
    slug = new_org()
    assert admin.patch(f"/api/organizations/{slug}", json={"redirect_uris": "not-a-list"}).status_code == 400
    anonymous.get("/auth/sso/start", params={"organization": slug, "redirect_uri": "https://evil.example.com/"})
    refused = [e for e in admin.get(f"/api/organizations/{slug}/events").json()["items"] if e["type"] == "request.refused"]
    assert [e["error"] for e in refused] == ["no_sso_connection", "invalid_field"]
    assert refused[1]["detail"]["route"] == f"/api/organizations/{slug}"


def test_refusals_of_unauthorized_callers_are_not_written_into_the_org(stack, admin, new_org):
    slug, other = new_org(), new_org()
    other_key = admin.post("/api/api-keys", json={"organization": other, "name": "k"}).json()["key"]
    ApiClient(stack.base_url, other_key).patch(f"/api/organizations/{slug}", json={"name": 5})
    ApiClient(stack.base_url, None).patch(f"/api/organizations/{slug}", json={"name": 5})
    assert [e for e in admin.get(f"/api/organizations/{slug}/events").json()["items"] if e["type"] == "request.refused"] == []
