"""Revoking an API key on one instance refuses it on every other at once."""
from __future__ import annotations

from tests.conftest import ApiClient


def test_a_key_revoked_on_one_host_is_refused_on_the_other_at_once(stack, admin, new_org, host_b):
    org = new_org()
    made = admin.post("/api/api-keys", json={"organization": org, "name": "backend"}).json()
    on_b = ApiClient(host_b.base_url, made["key"])
    assert on_b.get(f"/api/organizations/{org}").status_code == 200  # host B has read the key
    assert admin.delete(f"/api/api-keys/{made['id']}").status_code == 204  # revoked on host A
    refused = on_b.get(f"/api/organizations/{org}")
    assert (refused.status_code, refused.json()["error"]) == (401, "unauthorized")
    assert on_b.post("/api/sso/token", json={"code": "x" * 43}).status_code == 401
