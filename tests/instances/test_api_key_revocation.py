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


def test_a_key_revoked_on_one_host_fails_the_exchange_on_the_other_that_trusts_it_without_reading(stack, admin, new_org, host_b):
    """Host B reads an org key once; its later code exchanges rest on the key's guard row in the
    spend's transaction. Revoked on host A, the key is refused on B at once, and the code it
    tried to spend is left unspent."""
    from tests.flows.helpers import create_oidc_connection, register_oidc_app
    from tests.instances.test_organization_deletion import _code_via, _exchange

    org = new_org()
    connection = create_oidc_connection(admin, org, register_oidc_app(stack))
    made = admin.post("/api/api-keys", json={"organization": org, "name": "backend"}).json()
    _, first = _code_via(host_b.base_url, stack, connection["id"])
    assert _exchange(host_b.base_url, made["key"], first) == 200  # host B has verified the key
    _, second = _code_via(host_b.base_url, stack, connection["id"])
    _, third = _code_via(host_b.base_url, stack, connection["id"])
    assert _exchange(host_b.base_url, made["key"], second) == 200  # ...and trusts it on its guard
    assert admin.delete(f"/api/api-keys/{made['id']}").status_code == 204  # revoked on host A
    refused = ApiClient(host_b.base_url, made["key"]).post("/api/sso/token", json={"code": third})
    assert (refused.status_code, refused.json()["error"]) == (401, "unauthorized")
    bogus = ApiClient(host_b.base_url, made["key"]).post("/api/sso/token", json={"code": "x" * 43})
    assert bogus.status_code == 401  # not the code's invalid_grant: the key is what is refused
    other = admin.post("/api/api-keys", json={"organization": org, "name": "other"}).json()["key"]
    assert _exchange(host_b.base_url, other, third) == 200  # the refused exchange spent nothing


def test_a_key_whose_guard_row_is_missing_gets_it_back_and_keeps_working(stack, admin, new_org, host_b):
    """A key made before the guard rows (or whose guard a failed write lost): the first exchange
    that trusts it fails on the missing guard, reads the key, makes the guard, and succeeds."""
    from shared.orgs.api_keys import GUARD_PREFIX
    from shared.storage import tables
    from tests.flows.helpers import create_oidc_connection, register_oidc_app
    from tests.instances.test_organization_deletion import _code_via, _exchange

    org = new_org()
    connection = create_oidc_connection(admin, org, register_oidc_app(stack))
    made = admin.post("/api/api-keys", json={"organization": org, "name": "backend"}).json()
    _, first = _code_via(host_b.base_url, stack, connection["id"])
    assert _exchange(host_b.base_url, made["key"], first) == 200
    tables.delete("activity", org, GUARD_PREFIX + made["id"])
    _, second = _code_via(host_b.base_url, stack, connection["id"])
    assert _exchange(host_b.base_url, made["key"], second) == 200
    assert tables.get("activity", org, GUARD_PREFIX + made["id"]) is not None
