"""Sign in with Microsoft for any account: each tenant type admits exactly its accounts, the
issuer is the token's own tenant's, the profile belongs to no organization, emails are verified
only where Microsoft vouches, and an organization's enforced SSO cannot be gone round."""
from __future__ import annotations

import uuid

import pytest

from local.entra_sim.shared_app import CONSUMER_TENANT
from tests.conftest import ApiClient
from tests.flows.helpers import ADELE, BOB, CONTOSO, FABRIKAM, create_oidc_connection, entra_sign_in, query, register_oidc_app
from tests.shared_app.conftest import MICROSOFT_REDIRECT
from tests.shared_app.helpers import customer_tenant

PAT = "pat.personal@outlook.com"
JANE = "carlos.ortiz@fabrikam.com"  # Fabrikam only (jane is also a Contoso guest)


def _start(browser, stack, **params):
    return browser.get(f"{stack.base_url}/auth/sso/start", params={"provider": "microsoft", "redirect_uri": MICROSOFT_REDIRECT,
                                                                   "state": "app-state", **params})


def _sign_in(browser, stack, username: str, *, authority: str | None = None):
    """start → (the authorize URL, its tenant segment replaced by `authority` if given) → callback."""
    started = _start(browser, stack)
    assert started.status_code == 302, started.text[:500]
    url = started.headers["Location"]
    if authority:
        prefix = stack.simulator.authority + "/"
        tenant = url[len(prefix):].split("/", 1)[0]
        url = url.replace(f"{prefix}{tenant}/", f"{prefix}{authority}/", 1)
    from_entra = entra_sign_in(browser, url, username)
    assert from_entra.status_code == 302, from_entra.text[:500]
    return browser.get(from_entra.headers["Location"])


def _profile(stack, answer) -> dict:
    assert answer.status_code == 302 and answer.headers["Location"].startswith(MICROSOFT_REDIRECT), answer.text[:500]
    params = query(answer.headers["Location"])
    assert "code" in params, params
    exchanged = ApiClient(stack.base_url, stack.bootstrap_key).post("/api/sso/token", json={"code": params["code"]})
    assert exchanged.status_code == 200, exchanged.text
    return exchanged.json()["profile"]


def _error(answer) -> str:
    assert answer.status_code == 302 and answer.headers["Location"].startswith(MICROSOFT_REDIRECT), answer.text[:500]
    return query(answer.headers["Location"])["error"]


def test_common_admits_personal_and_work_accounts(stack, browser, microsoft):
    microsoft("common")
    personal = _profile(stack, _sign_in(browser, stack, PAT))
    assert personal["organization"] is None and personal["connection"] == "microsoft"
    assert personal["entra_tenant_id"] == CONSUMER_TENANT and personal["email"] == PAT
    assert personal["email_verified"] is True  # Microsoft documents an MSA's email as domain-owner verified
    work = _profile(stack, _sign_in(browser, stack, ADELE))
    assert work["entra_tenant_id"] == CONTOSO and work["email_verified"] is True  # xms_edov true
    assert work["id"] != personal["id"]
    assert _profile(stack, _sign_in(browser, stack, ADELE))["id"] == work["id"]  # keyed by (tid, oid)


def test_organizations_refuses_a_personal_account(stack, browser, microsoft):
    microsoft("organizations")
    assert _profile(stack, _sign_in(browser, stack, JANE))["entra_tenant_id"] == FABRIKAM
    assert _error(_sign_in(browser, stack, PAT, authority="common")) == "personal_account_not_allowed"


def test_consumers_refuses_a_work_account(stack, browser, microsoft):
    microsoft("consumers")
    assert _profile(stack, _sign_in(browser, stack, PAT))["entra_tenant_id"] == CONSUMER_TENANT
    assert _error(_sign_in(browser, stack, ADELE, authority="common")) == "work_account_not_allowed"


def test_a_pinned_tenant_refuses_a_foreign_tenant(stack, browser, microsoft):
    microsoft(CONTOSO)
    assert _profile(stack, _sign_in(browser, stack, ADELE))["entra_tenant_id"] == CONTOSO
    assert _error(_sign_in(browser, stack, JANE, authority="organizations")) == "id_token_wrong_tenant"


def test_emails_are_never_verified_from_the_email_claim_alone(stack, browser, microsoft):
    """nOAuth: a tenant's admin sets any address as a user's mail; without xms_edov true it is
    shown, never verified; a sign-in name (preferred_username) is never verified either."""
    microsoft("organizations")
    tenant_id = str(uuid.uuid4())
    stack.simulator.add_tenant({"id": tenant_id, "name": "Rogue", "domains": [f"rogue-{tenant_id[:8]}.example"], "users": [
        {"upn": f"mallory@rogue-{tenant_id[:8]}.example", "name": "Mallory", "email": "ceo@contoso.com", "xms_edov": False}]})
    from local.entra_sim.shared_app import SHARED_APP_CLIENT_ID
    stack.simulator.grant_consent(SHARED_APP_CLIENT_ID, tenant_id)
    spoofed = _profile(stack, _sign_in(browser, stack, f"mallory@rogue-{tenant_id[:8]}.example"))
    assert spoofed["email"] == "ceo@contoso.com" and spoofed["email_verified"] is False
    bob = _profile(stack, _sign_in(browser, stack, BOB))
    assert bob["email"] == BOB and bob["email_verified"] is False


def test_only_the_global_key_redeems_its_codes(stack, admin, browser, microsoft, new_org):
    microsoft("common")
    org = new_org()
    key = admin.post("/api/api-keys", json={"organization": org, "name": "backend"}).json()["key"]
    answer = _sign_in(browser, stack, PAT)
    refused = ApiClient(stack.base_url, key).post("/api/sso/token", json={"code": query(answer.headers["Location"])["code"]})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_an_email_of_an_organization_that_enforces_sso_goes_to_its_connection(stack, admin, browser, microsoft, new_org, verified_domain):
    microsoft("organizations")
    org = new_org()
    domain = verified_domain(org)
    create_oidc_connection(admin, org, register_oidc_app(stack), domains=[domain])
    enforced = admin.patch(f"/api/organizations/{org}", json={"sso_enforcement": "verified_domains", "break_glass_emails": [f"bg@{domain}"]})
    assert enforced.status_code == 200, enforced.text
    tenant = customer_tenant(stack)
    stack.simulator.add_user(tenant["id"], {"upn": f"eve@{tenant['domain']}", "name": "Eve", "email": f"eve@{domain}", "xms_edov": True})
    from local.entra_sim.shared_app import SHARED_APP_CLIENT_ID
    stack.simulator.grant_consent(SHARED_APP_CLIENT_ID, tenant["id"])
    answer = _sign_in(browser, stack, f"eve@{tenant['domain']}")
    assert answer.status_code == 302 and answer.headers["Location"].startswith(f"{stack.base_url}/auth/sso/start?"), answer.headers
    assert query(answer.headers["Location"])["email"] == f"eve@{domain}"


def test_the_setting_needs_the_global_key_and_valid_fields(stack, admin, new_org):
    org = new_org()
    key = admin.post("/api/api-keys", json={"organization": org, "name": "k"}).json()["key"]
    body = {"enabled": True, "tenant_type": "common", "redirect_uris": [MICROSOFT_REDIRECT]}
    assert ApiClient(stack.base_url, key).put("/api/microsoft-sign-in", json=body).status_code == 403
    assert ApiClient(stack.base_url, None).get("/api/microsoft-sign-in").status_code == 401
    for bad in ({**body, "tenant_type": "everyone"}, {**body, "redirect_uris": ["javascript:alert(1)"]}, {**body, "enabled": "yes"}):
        answer = admin.put("/api/microsoft-sign-in", json=bad)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_field", answer.text


@pytest.mark.parametrize("params, error", [({"redirect_uri": "https://evil.example/cb"}, "invalid_redirect_uri"),
                                           ({"organization": "acme"}, "invalid_request")])
def test_a_start_outside_the_setting_is_refused(stack, browser, microsoft, params, error):
    microsoft("common")
    refused = _start(browser, stack, **params)
    assert refused.status_code == 400 and error in refused.text


def test_a_disabled_setting_starts_nothing(stack, browser, microsoft):
    microsoft("common", enabled=False)
    refused = _start(browser, stack)
    assert refused.status_code == 400 and "microsoft_sign_in_disabled" in refused.text
