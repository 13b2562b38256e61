"""An OIDC connection whose FIRST credential is a certificate (`credential_type` certificate): no
secret ever exists; it is `pending` and signs nobody in until POST .../certificate makes the key
pair, the admin uploads the certificate to Entra, and .../certificate/activate proves it."""
from __future__ import annotations

import pytest

from tests.conftest import ApiClient
from tests.flows.helpers import APP_REDIRECT, CONTOSO, register_oidc_app
from tests.lifecycle.helpers import OidcSetup, events_of, record, sign_in


@pytest.fixture
def pending(stack, admin, new_org):
    org = new_org()
    app = register_oidc_app(stack, secrets=[])  # the app registration has no secret at all
    created = admin.post(f"/api/organizations/{org}/connections", json={
        "protocol": "oidc", "entra_tenant_id": CONTOSO, "client_id": app["client_id"], "credential_type": "certificate"})
    assert created.status_code == 201, created.text
    key = admin.post("/api/api-keys", json={"organization": org, "name": "backend"}).json()["key"]
    return OidcSetup(org, app, created.json(), ApiClient(stack.base_url, key))


def test_created_pending_with_no_credential_and_signs_nobody_in(stack, admin, pending, browser):
    view = pending.connection
    assert view["status"] == "pending" and view["status_reasons"][0]["reason"] == "certificate_not_activated"
    assert view["credential_type"] == "certificate" and view["certificate"] is None and view["pending_certificate"] is None
    doc = record(view["id"])
    assert "client_secret_version" not in doc and "client_secret_expires_on" not in doc
    started = browser.get(f"{stack.base_url}/auth/sso/start", params={"connection": view["id"], "redirect_uri": APP_REDIRECT, "state": "s"},
                          headers={"Accept": "application/json"})
    assert (started.status_code, started.json()["error"]) == (400, "connection_pending")
    assert "Upload certificate" in started.json()["error_description"]
    tested = admin.post(pending.url + "/test")
    assert tested.status_code == 400 and tested.json()["checks"][1]["error"] == "connection_pending"
    [created] = events_of(admin, pending.org, "connection.created")
    assert created["detail"]["credential_type"] == "certificate"


def test_first_certificate_is_refused_until_uploaded_then_becomes_the_credential(stack, admin, pending):
    body = admin.post(pending.url + "/certificate").json()
    refused = admin.post(pending.url + "/certificate/activate")
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_client_certificate"), refused.text
    assert admin.get(pending.url).json()["status"] == "pending"
    assert "certificate_credential" not in record(pending.connection["id"])

    stack.simulator.update_app(pending.app["client_id"], {"certificates": [body["certificate_cer_base64"]]})  # uploaded as the .cer
    activated = admin.post(pending.url + "/certificate/activate")
    assert activated.status_code == 200, activated.text
    view = activated.json()
    assert view["status"] == "active" and view["certificate"]["thumbprint"] == body["thumbprint"]
    assert view["rollback_available_until"] is None  # nothing came before it
    [event] = events_of(admin, pending.org, "connection.certificate_activated")
    assert event["detail"]["replaced"] is None
    assert sign_in(stack, pending)["email"] == "adele.vance@contoso.com"


def test_a_secret_cannot_come_with_credential_type_certificate(admin, new_org, stack):
    org, app = new_org(), register_oidc_app(stack)
    base = {"protocol": "oidc", "entra_tenant_id": CONTOSO, "client_id": app["client_id"]}
    for extra, code in (({"credential_type": "certificate", "client_secret": app["secret"]}, "invalid_field"),
                        ({"credential_type": "certificate", "client_secret_expires_on": "2099-01-01"}, "invalid_field"),
                        ({"credential_type": "pfx"}, "invalid_field"),
                        ({}, "missing_field")):  # the default is still a secret, and it is still required
        refused = admin.post(f"/api/organizations/{org}/connections", json={**base, **extra})
        assert (refused.status_code, refused.json()["error"]) == (400, code), (extra, refused.text)
    saml = admin.post(f"/api/organizations/{org}/connections", json={"protocol": "saml", "credential_type": "certificate"})
    assert saml.status_code == 400, saml.text
    assert admin.get(f"/api/organizations/{org}/connections").json()["items"] == []
    unknown = admin.post(f"/api/organizations/{org}/connections", json={**base, "credential_type": "certificate", "entra_tenant_id": "00000000-0000-4000-8000-000000000000"})
    assert (unknown.status_code, unknown.json()["error"]) == (400, "tenant_not_found")


def test_a_pending_connection_can_be_changed_or_given_a_secret_instead(stack, admin, pending):
    other = register_oidc_app(stack)
    changed = admin.patch(pending.url, json={"client_id": other["client_id"], "display_name": "Renamed"})
    assert changed.status_code == 200, changed.text  # nothing to prove yet: activation proves it
    assert changed.json()["status"] == "pending" and changed.json()["client_id"] == other["client_id"]
    rotated = admin.post(pending.url + "/secret", json={"client_secret": other["secret"], "expires_on": "2099-01-01"})
    assert rotated.status_code == 200, rotated.text
    view = rotated.json()
    assert view["status"] == "active" and view["credential_type"] == "secret" and view["rollback_available_until"] is None
    assert admin.post(pending.url + "/secret/rollback").json()["error"] == "rollback_unavailable"
    pending.app = other
    assert sign_in(stack, pending)["email"] == "adele.vance@contoso.com"
