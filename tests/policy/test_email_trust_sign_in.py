"""Email trust and invitations through whole sign-ins: only the org that verified a domain gets
its emails marked verified, never an org whose IdP merely asserts them (nOAuth)."""
from __future__ import annotations

import pytest

from tests.conftest import ApiClient
from tests.flows.helpers import ADELE, BOB, Browser, create_oidc_connection, oidc_sign_in, query, register_oidc_app


@pytest.fixture(scope="module")
def contoso_owner(stack, dns_zone):
    """An org that verified contoso.com (the simulator's Contoso users' domain), once per run."""
    admin = ApiClient(stack.base_url, stack.bootstrap_key)
    slug = "contoso-owner"
    assert admin.post("/api/organizations", json={"id": slug, "name": "Contoso", "redirect_uris": ["https://app.example.com/callback"]}).status_code == 201
    record = admin.post(f"/api/organizations/{slug}/domains", json={"domain": "contoso.com"}).json()["txt_record"]
    dns_zone.publish(record["name"], record["value"])
    assert admin.post(f"/api/organizations/{slug}/domains/contoso.com/verify").status_code == 200
    create_oidc_connection(admin, slug, register_oidc_app(stack))
    return slug


def _profile(stack, admin, org: str, username: str) -> dict:
    callback = oidc_sign_in(Browser(stack.simulator.ca_bundle), stack, username, organization=org)
    answer = query(callback.headers["Location"])
    if "error" in answer:
        return answer
    key = admin.post("/api/api-keys", json={"organization": org, "name": "k"}).json()["key"]
    return ApiClient(stack.base_url, key).post("/api/sso/token", json={"code": answer["code"]}).json()["profile"]


def test_email_on_the_orgs_verified_domain_vouched_by_entra_is_verified(stack, admin, contoso_owner):
    assert _profile(stack, admin, contoso_owner, ADELE)["email_verified"] is True
    assert _profile(stack, admin, contoso_owner, BOB)["email_verified"] is False  # preferred_username only


def test_email_on_a_domain_another_org_verified_is_never_verified_and_is_an_event(stack, admin, new_org, contoso_owner):
    other = new_org()
    create_oidc_connection(admin, other, register_oidc_app(stack))
    assert _profile(stack, admin, other, ADELE)["email_verified"] is False
    types = [e["type"] for e in admin.get(f"/api/organizations/{other}/events").json()["items"]]
    assert "email_domain_of_another_organization" in types


def test_invite_only_admits_verified_invited_emails_only(stack, admin, contoso_owner):
    admin.patch(f"/api/organizations/{contoso_owner}", json={"provisioning": "invite_only"})
    try:
        assert _profile(stack, admin, contoso_owner, ADELE)["error"] == "user_not_invited"
        admin.post(f"/api/organizations/{contoso_owner}/invitations", json={"email": ADELE})
        admin.post(f"/api/organizations/{contoso_owner}/invitations", json={"email": BOB})
        assert _profile(stack, admin, contoso_owner, ADELE)["email"] == ADELE
        assert _profile(stack, admin, contoso_owner, BOB)["error"] == "user_not_invited"  # invited, but email not verified
    finally:
        admin.patch(f"/api/organizations/{contoso_owner}", json={"provisioning": "jit"})
