"""`POST .../connections/{id}/test` checks what the server can before it hands out a test URL;
a failed check answers 400 with every check and its fix, and the connection's status is `error`
with the reason until a test passes. Through the dev host, Azurite and the Entra simulator."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.flows.helpers import create_oidc_connection, create_saml_connection, register_oidc_app
from tests.lifecycle.helpers import record


def _test(admin, org: str, connection_id: str):
    return admin.post(f"/api/organizations/{org}/connections/{connection_id}/test")


def _status(admin, org: str, connection_id: str) -> tuple[str, list[str]]:
    view = admin.get(f"/api/organizations/{org}/connections/{connection_id}").json()
    return view["status"], [r["reason"] for r in view["status_reasons"]]


def _failed(response) -> dict[str, dict]:
    assert (response.status_code, response.json()["error"]) == (400, "connection_test_failed"), response.text
    assert "test_url" not in response.json()
    return {c["check"]: c for c in response.json()["checks"] if not c["ok"]}


def _rewrite(connection_id: str, **changes) -> None:
    """Stands for a record saved before today's checks existed, or aged since."""
    from shared.orgs import connections

    stored = connections.get(connection_id)
    connections.save(stored.doc.replace(**changes), stored.etag)


@pytest.fixture
def oidc(stack, admin, new_org):
    org = new_org()
    app = register_oidc_app(stack)
    return org, app, create_oidc_connection(admin, org, app)


def test_a_working_oidc_connection_gets_its_test_url_with_the_checks(stack, admin, oidc):
    org, _, connection = oidc
    response = _test(admin, org, connection["id"])
    assert response.status_code == 200, response.text
    assert response.json()["test_url"].startswith(stack.simulator.authority)
    assert [(c["check"], c["ok"]) for c in response.json()["checks"]] == [("tenant_discovery", True), ("client_credentials", True)]


def test_a_secret_deleted_in_entra_fails_the_test_and_marks_the_connection_until_a_test_passes(stack, admin, oidc):
    org, app, connection = oidc
    stack.simulator.update_app(app["client_id"], {"remove_secrets": [app["secret"]]})
    failed = _failed(_test(admin, org, connection["id"]))
    assert set(failed) == {"client_credentials"} and failed["client_credentials"]["error"] == "invalid_client_secret"
    assert "Secret ID" in failed["client_credentials"]["message"]
    assert _status(admin, org, connection["id"]) == ("error", ["test_failed"])
    reason = admin.get(f"/api/organizations/{org}/connections/{connection['id']}").json()["status_reasons"][0]
    assert "client_credentials" in reason["message"]
    events = admin.get(f"/api/organizations/{org}/events").json()["items"]
    assert any(e["type"] == "connection.test_failed" and e["connection"] == connection["id"] for e in events)
    stack.simulator.update_app(app["client_id"], {"secrets": [{"value": app["secret"], "expires_on": "2099-01-01"}]})
    assert _test(admin, org, connection["id"]).status_code == 200
    assert _status(admin, org, connection["id"]) == ("active", [])


def test_an_app_gone_from_the_tenant_is_application_not_found(stack, admin, oidc):
    org, app, connection = oidc
    stack.simulator.set_error("AADSTS700016", client_id=app["client_id"], endpoint="token")
    try:
        failed = _failed(_test(admin, org, connection["id"]))
    finally:
        stack.simulator.clear_errors()
    assert failed["client_credentials"]["error"] == "application_not_found"


def test_entra_unreachable_is_a_503_that_marks_nothing(stack, admin, oidc):
    org, _, connection = oidc
    before = record(connection["id"])
    stack.simulator.fail_token_endpoint(503, times=10)
    try:
        down = _test(admin, org, connection["id"])
    finally:
        stack.simulator.clear_errors()
    assert (down.status_code, down.json()["error"]) == (503, "authority_unreachable"), down.text
    assert record(connection["id"]) == before and _status(admin, org, connection["id"])[0] == "active"


def test_a_working_saml_connection_passes_every_check(stack, admin, new_org):
    org = new_org()
    connection = create_saml_connection(stack, admin, org)
    response = _test(admin, org, connection["id"])
    assert response.status_code == 200, response.text
    assert {c["check"] for c in response.json()["checks"] if c["ok"]} == {"idp_metadata", "signing_certificate", "sp_entity_id", "acs_url"}


def _expired_certificate_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Microsoft Azure Federated SSO Certificate")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=3 * 365)).not_valid_after(now - timedelta(days=1)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_saml_with_only_expired_signing_certificates_fails(stack, admin, new_org):
    org = new_org()
    connection = create_saml_connection(stack, admin, org)
    _rewrite(connection["id"], idp_certificates=[_expired_certificate_pem()])
    failed = _failed(_test(admin, org, connection["id"]))
    assert set(failed) == {"signing_certificate"} and failed["signing_certificate"]["error"] == "certificate_expired"
    assert _status(admin, org, connection["id"])[0] == "error"


def test_saml_saved_with_the_tenant_independent_issuer_fails(stack, admin, new_org):
    org = new_org()
    connection = create_saml_connection(stack, admin, org)
    _rewrite(connection["id"], idp_entity_id="https://sts.windows.net/{tenantid}/")
    failed = _failed(_test(admin, org, connection["id"]))
    assert set(failed) == {"idp_metadata"} and "App Federation Metadata Url" in failed["idp_metadata"]["message"]


def test_a_pending_saml_connection_fails_with_what_to_add(stack, admin, new_org):
    org = new_org()
    connection = admin.post(f"/api/organizations/{org}/connections", json={"protocol": "saml"}).json()
    failed = _failed(_test(admin, org, connection["id"]))
    assert failed["idp_metadata"]["error"] == "connection_pending" and "idp_metadata_url" in failed["idp_metadata"]["message"]
    assert "signing_certificate" in failed
