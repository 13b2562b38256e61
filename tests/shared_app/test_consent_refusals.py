"""A one-click connection is bound only by proof: Entra's consent redirect can be forged or
replayed, name another tenant, or come back with an error; the proof sign-in can come from a
non-admin or another tenant. Each is refused with its own code and leaves the connection pending."""
from __future__ import annotations

import secrets
from urllib.parse import urlencode, urlsplit, urlunsplit

from tests.flows.helpers import entra_sign_in, query
from tests.shared_app.helpers import (
    SHARED_APP_CLIENT_ID,
    consent,
    consent_page_post,
    create_shared,
    customer_tenant,
    one_click,
    prove,
)


def _pending(admin, org, connection_id) -> bool:
    view = admin.get(f"/api/organizations/{org}/connections/{connection_id}").json()
    return view["status"] == "pending" and not view.get("entra_tenant_id")


def _with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode({**query(url), **changes})))


def test_a_forged_consent_answer_with_an_unknown_state_is_refused(stack, anonymous, admin, new_org):
    org = new_org()
    connection = create_shared(admin, org).json()
    forged = anonymous.get("/auth/sso/microsoft/consent", params={"admin_consent": "True", "tenant": customer_tenant(stack)["id"],
                                                                  "state": f"{org}.{secrets.token_urlsafe(24)}"})
    assert forged.status_code == 400 and "invalid_state" in forged.text
    assert _pending(admin, org, connection["id"])


def test_a_consent_answer_is_used_once(stack, admin, new_org, browser):
    org = new_org()
    tenant = customer_tenant(stack)
    connection = create_shared(admin, org).json()
    back = consent_page_post(browser, connection["admin_consent_url"], tenant["admin"])
    assert browser.get(back.headers["Location"]).status_code == 302
    replayed = browser.get(back.headers["Location"])
    assert replayed.status_code == 400 and "invalid_state" in replayed.text


def test_a_rewritten_tenant_needs_an_admin_of_that_tenant(stack, admin, new_org, browser):
    """The admin of A consents; the answer is rewritten to name B (which consented for another
    org). Only an admin of B could prove it: B's ordinary user and B's helpdesk cannot."""
    org, other_org = new_org(), new_org()
    a, b = customer_tenant(stack), customer_tenant(stack)
    one_click(stack, admin, browser, other_org, b)  # B consented, for another organization
    for who in (b["user"], b["helpdesk"]):
        connection = create_shared(admin, org).json()
        back = consent_page_post(browser, connection["admin_consent_url"], a["admin"])
        rewritten = browser.get(_with_query(back.headers["Location"], tenant=b["id"]))
        refused = prove(browser, rewritten, who)
        assert refused.status_code == 400 and "consent_not_admin" in refused.text, refused.text[:500]
        assert _pending(admin, org, connection["id"])


def test_the_proof_must_come_from_the_consented_tenant(stack, admin, new_org, browser):
    """The proof sign-in is sent to the consented tenant; moved to `organizations`, an admin of
    another tenant signs in: the token's tid is not the consented tenant's."""
    org = new_org()
    a, c = customer_tenant(stack), customer_tenant(stack)
    stack.simulator.grant_consent(SHARED_APP_CLIENT_ID, c["id"])
    connection = create_shared(admin, org).json()
    answer = consent(browser, connection["admin_consent_url"], a["admin"])
    moved = answer.headers["Location"].replace(f"/{a['id']}/oauth2/", "/organizations/oauth2/")
    assert moved != answer.headers["Location"]
    from_entra = entra_sign_in(browser, moved, c["admin"])
    refused = browser.get(from_entra.headers["Location"])
    assert refused.status_code == 400 and "id_token_wrong_tenant" in refused.text, refused.text[:500]
    assert _pending(admin, org, connection["id"])


def test_another_tenant_than_the_expected_one_is_refused(stack, admin, new_org, browser):
    org = new_org()
    a, b = customer_tenant(stack), customer_tenant(stack)
    connection = create_shared(admin, org, entra_tenant_id=a["id"]).json()
    answer = consent(browser, connection["admin_consent_url"], b["admin"])
    assert answer.status_code == 400 and "consent_tenant_mismatch" in answer.text
    assert _pending(admin, org, connection["id"])


def test_entra_errors_in_the_consent_answer_are_refused(stack, admin, new_org, browser):
    org = new_org()
    connection = create_shared(admin, org).json()
    state = query(connection["admin_consent_url"])["state"]
    answer = browser.get(f"{stack.base_url}/auth/sso/microsoft/consent", params={
        "error": "invalid_request", "error_description": "AADSTS90094: The grant requires admin permission.", "state": state})
    assert answer.status_code == 400 and "admin_consent_failed" in answer.text
    assert _pending(admin, org, connection["id"])


def test_a_consent_gone_before_the_proof_is_refused_by_the_client_credentials_check(stack, admin, new_org, browser):
    """The admin's token is fine, but the tenant has no consent any more when the stamp checks
    (removed between the sign-in and the callback): the client-credentials proof refuses."""
    org = new_org()
    tenant = customer_tenant(stack)
    connection = create_shared(admin, org).json()
    answer = consent(browser, connection["admin_consent_url"], tenant["admin"])
    from_entra = entra_sign_in(browser, answer.headers["Location"], tenant["admin"])
    stack.simulator.revoke_consent(SHARED_APP_CLIENT_ID, tenant["id"])
    refused = browser.get(from_entra.headers["Location"])
    assert refused.status_code == 400 and "admin_consent_missing" in refused.text, refused.text[:500]
    assert _pending(admin, org, connection["id"])


def test_the_bound_tenant_cannot_be_patched(stack, admin, new_org, browser):
    org = new_org()
    a, b = customer_tenant(stack), customer_tenant(stack)
    connection = one_click(stack, admin, browser, org, a)
    url = f"/api/organizations/{org}/connections/{connection['id']}"
    for change in ({"entra_tenant_id": b["id"]}, {"client_id": SHARED_APP_CLIENT_ID}, {"entra_tenant_id": "organizations", "allowed_tenant_ids": [b["id"]]}):
        patched = admin.patch(url, json=change)
        assert patched.status_code == 400 and patched.json()["error"] == "invalid_field", patched.text
    assert admin.get(url).json()["entra_tenant_id"] == a["id"]


def test_a_pending_connection_cannot_be_given_a_tenant_by_patch(stack, admin, new_org):
    org = new_org()
    connection = create_shared(admin, org).json()
    patched = admin.patch(f"/api/organizations/{org}/connections/{connection['id']}", json={"entra_tenant_id": customer_tenant(stack)["id"]})
    assert patched.status_code == 400 and patched.json()["error"] == "invalid_field"
    assert _pending(admin, org, connection["id"])


def test_create_refuses_what_a_shared_connection_does_not_have(stack, admin, new_org):
    org = new_org()
    for extra in ({"client_id": SHARED_APP_CLIENT_ID}, {"client_secret": "x" * 20}, {"allowed_tenant_ids": []}):
        refused = create_shared(admin, org, **extra)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_field", refused.text
