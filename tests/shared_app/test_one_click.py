"""One-click connections through the stamp's shared app, end to end against the simulator."""
from __future__ import annotations

from urllib.parse import urlsplit

from tests.flows.helpers import APP_REDIRECT, oidc_sign_in, query
from tests.shared_app.helpers import SHARED_APP_CLIENT_ID, consent, create_shared, customer_tenant, one_click


def test_create_answers_the_admin_consent_url_and_stays_pending(stack, admin, new_org):
    org = new_org()
    created = create_shared(admin, org)
    assert created.status_code == 201, created.text
    body = created.json()
    url = urlsplit(body["admin_consent_url"])
    assert url.path == "/organizations/v2.0/adminconsent"
    params = query(body["admin_consent_url"])
    assert params["client_id"] == SHARED_APP_CLIENT_ID
    assert params["redirect_uri"] == f"{stack.base_url}/auth/sso/microsoft/consent"
    assert params["state"].startswith(org + ".")
    assert body["status"] == "pending" and body["status_reasons"][0]["reason"] == "admin_consent_missing"
    assert body["entra_tenant_id"] is None if "entra_tenant_id" in body else True
    assert "client_secret" not in body and body["credential_type"] == "shared_app"


def test_a_pending_connection_signs_nobody_in(stack, admin, new_org, browser):
    org = new_org()
    connection = create_shared(admin, org).json()
    started = browser.get(f"{stack.base_url}/auth/sso/start", params={"connection": connection["id"], "redirect_uri": APP_REDIRECT, "state": "s"},
                          headers={"Accept": "application/json"})
    assert started.status_code == 400 and started.json()["error"] == "admin_consent_missing"


def test_consent_then_sign_in_through_the_shared_app_pinned_to_the_tenant(stack, admin, new_org, browser):
    org = new_org()
    tenant = customer_tenant(stack)
    connection = one_click(stack, admin, browser, org, tenant)
    assert connection["status"] == "active", connection
    assert connection["entra_tenant_id"] == tenant["id"] and connection["app"] == "shared"
    key = admin.post("/api/api-keys", json={"organization": org, "name": "backend"}).json()["key"]
    back = oidc_sign_in(browser, stack, tenant["user"], connection=connection["id"])
    assert back.status_code == 302 and back.headers["Location"].startswith(APP_REDIRECT), back.text[:500]
    code = query(back.headers["Location"])["code"]
    exchanged = admin.__class__(stack.base_url, key).post("/api/sso/token", json={"code": code})
    profile = exchanged.json()["profile"]
    assert profile["entra_tenant_id"] == tenant["id"] and profile["connection"] == connection["id"]
    assert profile["email"] == tenant["user"]


def test_revoking_the_consent_in_entra_fails_the_next_sign_in_with_a_clear_code(stack, admin, new_org, browser):
    org = new_org()
    tenant = customer_tenant(stack)
    connection = one_click(stack, admin, browser, org, tenant)
    stack.simulator.revoke_consent(SHARED_APP_CLIENT_ID, tenant["id"])
    back = oidc_sign_in(browser, stack, tenant["user"], connection=connection["id"])
    assert back.status_code == 302
    assert query(back.headers["Location"])["error"] == "consent_required"


def test_declined_consent_records_nothing(stack, admin, new_org, browser):
    org = new_org()
    tenant = customer_tenant(stack)
    created = create_shared(admin, org).json()
    answer = consent(browser, created["admin_consent_url"], tenant["admin"], decision="cancel")
    assert answer.status_code == 400 and "admin_consent_declined" in answer.text
    assert admin.get(f"/api/organizations/{org}/connections/{created['id']}").json()["status"] == "pending"


def test_a_one_click_connection_verifies_emails_only_with_xms_edov(stack, admin, new_org, browser, verified_domain):
    """The shared app is multi-tenant, not the org's own single-tenant app: even in the proved
    tenant, an address on the org's verified domain counts only when Entra vouches (xms_edov)."""
    org = new_org()
    tenant = customer_tenant(stack)
    verified_domain(org, tenant["domain"])
    stack.simulator.add_user(tenant["id"], {"upn": f"unvouched@{tenant['domain']}", "name": "Una", "email": f"ceo@{tenant['domain']}", "xms_edov": False})
    connection = one_click(stack, admin, browser, org, tenant)
    key = admin.post("/api/api-keys", json={"organization": org, "name": "backend"}).json()["key"]
    backend = admin.__class__(stack.base_url, key)

    def profile(username):
        back = oidc_sign_in(browser, stack, username, connection=connection["id"])
        return backend.post("/api/sso/token", json={"code": query(back.headers["Location"])["code"]}).json()["profile"]

    assert profile(tenant["user"])["email_verified"] is True
    unvouched = profile(f"unvouched@{tenant['domain']}")
    assert unvouched["email"] == f"ceo@{tenant['domain']}" and unvouched["email_verified"] is False
