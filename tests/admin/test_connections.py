"""Admin API for connections, against the dev host, Azurite and the Entra simulator."""
from __future__ import annotations

import json

import pytest

from tests.flows.helpers import CONTOSO, register_oidc_app

UNKNOWN_TENANT = "3f1d2c4b-0000-4000-8000-000000000000"
SECRET = "s3cr3t-value-from-entra"


@pytest.fixture
def entra_app(stack):
    """An app registration in the simulator's Contoso tenant whose secret is SECRET: creating a
    connection proves its credential with Entra, so the test's values must be real ones."""
    return register_oidc_app(stack, secrets=[{"value": SECRET, "expires_on": "2099-01-01"}])


@pytest.fixture
def oidc_body(entra_app):
    def body(**overrides) -> dict:
        return {"protocol": "oidc", "display_name": "Contoso Entra", "entra_tenant_id": CONTOSO,
                "client_id": entra_app["client_id"], "client_secret": SECRET, "client_secret_expires_on": "2099-01-01", **overrides}
    return body


def test_create_oidc_connection_shows_what_to_paste_and_hides_the_secret(stack, admin, new_org, oidc_body):
    org = new_org()
    created = admin.post(f"/api/organizations/{org}/connections", json=oidc_body())
    assert created.status_code == 201, created.text
    conn = created.json()
    assert conn["id"].startswith("conn_") and conn["protocol"] == "oidc"
    assert conn["redirect_uri"] == f"{stack.base_url}/auth/sso/microsoft/callback"
    assert conn["status"] == "active" and conn["scopes"] == "openid profile email"
    assert "s3cr3t-value-from-entra" not in created.text
    listed = admin.get(f"/api/organizations/{org}/connections").json()
    assert [c["id"] for c in listed["items"]] == [conn["id"]] and "s3cr3t" not in json.dumps(listed)
    got = admin.get(f"/api/organizations/{org}/connections/{conn['id']}")
    assert got.status_code == 200 and "s3cr3t" not in got.text


def test_secret_goes_to_the_secret_store_not_the_table(stack, admin, new_org, oidc_body):
    from shared.secret_store import get_secret_store
    from shared.storage import tables

    org = new_org()
    conn = admin.post(f"/api/organizations/{org}/connections", json=oidc_body()).json()
    assert "s3cr3t-value-from-entra" not in json.dumps(tables.get("connections", conn["id"], "connection").doc)
    assert get_secret_store().get_secret(f"{conn['id']}/client-secret").value == "s3cr3t-value-from-entra"


@pytest.mark.parametrize("overrides,status,code", [
    ({"entra_tenant_id": UNKNOWN_TENANT}, 400, "tenant_not_found"),
    ({"entra_tenant_id": "contoso"}, 400, "invalid_field"),
    ({"client_id": "not-a-guid"}, 400, "invalid_field"),
    ({"client_secret_expires_on": "2020-01-01"}, 400, "invalid_field"),
    ({"client_secret_expires_on": "31/12/2099"}, 400, "invalid_field"),
    ({"client_secret": "x" * 300}, 400, "invalid_field"),
    ({"idp_metadata_url": "https://example.com/md"}, 400, "unknown_field"),
    ({"protocol": "ws-fed"}, 400, "invalid_field"),
    ({"entra_tenant_id": "organizations"}, 400, "missing_field"),
])
def test_oidc_connection_validation(admin, new_org, oidc_body, overrides, status, code):
    org = new_org()
    response = admin.post(f"/api/organizations/{org}/connections", json=oidc_body(**overrides))
    assert (response.status_code, response.json()["error"]) == (status, code), response.text


def test_unreachable_authority_is_a_503(stack, admin, new_org, oidc_body, monkeypatch):
    from shared.oidc import discovery
    from shared.platform.settings import get_settings

    org = new_org()
    monkeypatch.setenv("SSO_ENTRA_AUTHORITY_HOST", "https://127.0.0.1:9")
    get_settings.cache_clear()
    monkeypatch.setattr(discovery, "_default", discovery.DiscoveryCache())
    try:
        response = admin.post(f"/api/organizations/{org}/connections", json=oidc_body())
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert (response.status_code, response.json()["error"]) == (503, "authority_unreachable")
    assert admin.get(f"/api/organizations/{org}/connections").json()["items"] == []


def test_patch_and_delete_connection(admin, new_org, oidc_body):
    org = new_org()
    conn = admin.post(f"/api/organizations/{org}/connections", json=oidc_body()).json()
    url = f"/api/organizations/{org}/connections/{conn['id']}"
    patched = admin.patch(url, json={"enabled": False}, headers={"If-Match": conn["etag"]})
    assert patched.status_code == 200 and patched.json()["status"] == "disabled"
    stale = admin.patch(url, json={"enabled": True}, headers={"If-Match": conn["etag"]})
    assert (stale.status_code, stale.json()["error"]) == (409, "conflict")
    assert admin.patch(url, json={"client_secret": "new"}).json()["error"] == "invalid_field"
    assert admin.delete(url).status_code == 204
    assert admin.get(url).status_code == 404


def test_connection_of_another_org_is_absent(stack, admin, new_org, oidc_body):
    from tests.conftest import ApiClient

    mine, theirs = new_org(), new_org()
    conn = admin.post(f"/api/organizations/{theirs}/connections", json=oidc_body()).json()
    assert admin.get(f"/api/organizations/{mine}/connections/{conn['id']}").status_code == 404
    key = admin.post("/api/api-keys", json={"organization": mine, "name": "k"}).json()["key"]
    assert ApiClient(stack.base_url, key).get(f"/api/organizations/{theirs}/connections/{conn['id']}").status_code == 404
