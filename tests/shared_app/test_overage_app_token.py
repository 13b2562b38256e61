"""A groups overage through the shared app (one-click connection) when the sign-in's delegated
token cannot list the groups: the shared app's own client-credentials token in the user's tenant
(its managed-identity assertion) reads them from Graph, page by page; without the application
permission granted there, the sign-in goes on with groups_source "unavailable" and an event, or
fails where the organization chose that."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from tests.conftest import ApiClient
from tests.flows.helpers import oidc_sign_in, query
from tests.shared_app.helpers import SHARED_APP_CLIENT_ID, customer_tenant, one_click

GROUPS = 1201  # two Graph pages of 999 (the stamp's $top), and more than one 64 KiB stored property holds


@contextmanager
def no_delegated_graph_permission(stack):
    """The shared app registration lists no delegated Graph permission: its users' access tokens
    carry only the OIDC scopes, which cannot list a user's memberships."""
    stack.simulator.update_app(SHARED_APP_CLIENT_ID, {"delegated_permissions": []})
    try:
        yield
    finally:
        stack.simulator.update_app(SHARED_APP_CLIENT_ID, {"delegated_permissions": ["User.Read"]})


@pytest.fixture
def shared_overage(stack, admin, new_org, browser):
    """A one-click connection whose tenant has `many@...`, a user in GROUPS groups."""
    tenant = customer_tenant(stack)
    user = stack.simulator.add_user(tenant["id"], {"upn": f"many@{tenant['domain']}", "name": "Many Groups",
                                                   "email": f"many@{tenant['domain']}", "xms_edov": True, "extra_group_count": GROUPS})
    org = new_org()
    connection = one_click(stack, admin, browser, org, tenant)
    key = admin.post("/api/api-keys", json={"organization": org, "name": "b"}).json()["key"]
    groups = list(stack.simulator.directory.tenant(tenant["id"]).users[user["oid"]].groups)
    return {"org": org, "tenant": tenant, "connection": connection, "username": f"many@{tenant['domain']}", "groups": groups,
            "backend": ApiClient(stack.base_url, key)}


def _sign_in(stack, browser, overage):
    return oidc_sign_in(browser, stack, overage["username"], connection=overage["connection"]["id"])


def _profile(overage, answer) -> dict:
    params = query(answer.headers["Location"])
    assert "code" in params, params
    exchanged = overage["backend"].post("/api/sso/token", json={"code": params["code"]})
    assert exchanged.status_code == 200, exchanged.text
    return exchanged.json()["profile"]


def _events(admin, overage, kind: str) -> list[dict]:
    return [e for e in admin.get(f"/api/organizations/{overage['org']}/events").json()["items"] if e["type"] == kind]


def test_without_a_delegated_permission_the_shared_apps_own_token_reads_every_page(stack, browser, shared_overage):
    with no_delegated_graph_permission(stack):
        profile = _profile(shared_overage, _sign_in(stack, browser, shared_overage))
    assert len(shared_overage["groups"]) == GROUPS
    assert profile["groups_overage"] is True and profile["groups_source"] == "graph"
    assert profile["groups"] == shared_overage["groups"]


def test_a_delegated_token_graph_refuses_falls_back_to_the_shared_apps_token(stack, browser, shared_overage):
    stack.simulator.fail_graph(403, times=1)  # the delegated /me request only
    profile = _profile(shared_overage, _sign_in(stack, browser, shared_overage))
    assert profile["groups_source"] == "graph" and profile["groups"] == shared_overage["groups"]


def test_without_the_application_permission_granted_the_sign_in_goes_on_without_groups(stack, admin, browser, shared_overage):
    stack.simulator.revoke_consent(SHARED_APP_CLIENT_ID, shared_overage["tenant"]["id"], application_only=True)
    with no_delegated_graph_permission(stack):
        profile = _profile(shared_overage, _sign_in(stack, browser, shared_overage))
    assert profile["groups_overage"] is True and profile["groups_source"] == "unavailable" and profile["groups"] == []
    [event] = _events(admin, shared_overage, "groups_overage_unavailable")
    assert event["outcome"] == "warning" and "GroupMember.Read.All" in event["detail"]["reason"], event
    assert event["detail"]["user"] == profile["id"]


def test_without_the_application_permission_an_org_that_chose_to_fail_refuses_the_sign_in(stack, admin, browser, shared_overage):
    assert admin.patch(f"/api/organizations/{shared_overage['org']}", json={"groups_overage_unavailable": "fail"}).status_code == 200
    stack.simulator.revoke_consent(SHARED_APP_CLIENT_ID, shared_overage["tenant"]["id"], application_only=True)
    with no_delegated_graph_permission(stack):
        answer = _sign_in(stack, browser, shared_overage)
    assert query(answer.headers["Location"])["error"] == "temporarily_unavailable"
    event = _events(admin, shared_overage, "sign_in")[0]
    assert event["outcome"] == "failed" and event["detail"]["cause"] == "groups_unavailable"


def test_with_the_certificate_credential_the_shared_apps_token_is_asserted_by_its_certificate(stack, browser, shared_overage, monkeypatch):
    """SSO_SHARED_APP_CREDENTIAL=certificate: the app token of the fallback is asked for with a
    client assertion signed by the Key Vault certificate (the simulator checks it)."""
    import secrets

    from cryptography import x509

    from local.entra_sim import pki
    from shared import secret_store
    from shared.platform.settings import get_settings
    from tests.shared_app.test_certificate_credential import _certificate

    key_pem, cert_pem = _certificate()
    name = f"shared-app-{secrets.token_hex(4)}"
    secret_store.get_secret_store().set_secret(name, key_pem + cert_pem)
    stack.simulator.update_app(SHARED_APP_CLIENT_ID, {"certificates": [cert_pem]})
    monkeypatch.setenv("SSO_SHARED_APP_CREDENTIAL", "certificate")
    monkeypatch.setenv("SSO_SHARED_APP_CERTIFICATE", name)
    get_settings.cache_clear()
    try:
        assert get_settings().shared_app.credential == "certificate"
        with no_delegated_graph_permission(stack):
            profile = _profile(shared_overage, _sign_in(stack, browser, shared_overage))
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        stack.simulator.update_app(SHARED_APP_CLIENT_ID, {"remove_certificates": [pki.x5t(x509.load_pem_x509_certificate(cert_pem.encode()))]})
    assert profile["groups_source"] == "graph" and profile["groups"] == shared_overage["groups"]
