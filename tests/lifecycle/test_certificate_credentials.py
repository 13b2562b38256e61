"""Certificate credentials: a key pair made here, the certificate uploaded to Entra, proven by a
signed client assertion before it becomes current, then used for real sign-ins."""
from __future__ import annotations

import base64

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from tests.lifecycle.helpers import events_of, oidc_setup, record, sign_in


@pytest.fixture
def setup(stack, admin, new_org):
    return oidc_setup(stack, admin, new_org)


def test_create_answers_the_certificate_and_keeps_the_key_in_the_secret_store(admin, setup):
    from shared.secret_store import get_secret_store

    created = admin.post(setup.url + "/certificate")
    assert created.status_code == 201, created.text
    body = created.json()
    cert = x509.load_pem_x509_certificate(body["certificate_pem"].encode())
    assert body["thumbprint"] == cert.fingerprint(hashes.SHA1()).hex().upper()
    assert base64.b64decode(body["certificate_cer_base64"]) == cert.public_bytes(serialization.Encoding.DER)
    assert body["expires_on"] == cert.not_valid_after_utc.date().isoformat()
    assert cert.public_key().key_size == 2048 and "PRIVATE" not in created.text

    doc = record(setup.connection["id"])
    pending = doc["pending_certificate"]
    assert pending["thumbprint"] == body["thumbprint"] and "certificate_credential" not in doc
    key_pem = get_secret_store().get_secret(f"{setup.connection['id']}/certificate-key", pending["key_version"]).value
    key = serialization.load_pem_private_key(key_pem.encode(), None)
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()

    view = admin.get(setup.url).json()
    assert view["credential_type"] == "secret" and view["certificate"] is None
    assert view["pending_certificate"]["thumbprint"] == body["thumbprint"]
    assert "PRIVATE" not in admin.get(setup.url).text
    assert events_of(admin, setup.org, "connection.certificate_created")


def test_key_size_and_expiry_can_be_chosen_and_are_checked(admin, setup):
    created = admin.post(setup.url + "/certificate", json={"key_size": 3072, "expires_on": "2027-06-30"})
    if created.status_code == 400:  # the test clock is past that date: pick one a year ahead
        import datetime

        day = (datetime.date.today() + datetime.timedelta(days=400)).isoformat()
        created = admin.post(setup.url + "/certificate", json={"key_size": 3072, "expires_on": day})
    assert created.status_code == 201, created.text
    cert = x509.load_pem_x509_certificate(created.json()["certificate_pem"].encode())
    assert cert.public_key().key_size == 3072
    for body in ({"key_size": 1024}, {"key_size": "2048"}, {"expires_on": "2020-01-01"}, {"expires_on": "next year"},
                 {"expires_on": "2999-01-01"}):
        refused = admin.post(setup.url + "/certificate", json=body)
        assert (refused.status_code, refused.json()["error"]) == (400, "invalid_field"), body
    assert admin.post(setup.url + "/certificate", json={"kind": "ec"}).json()["error"] == "unknown_field"


def test_activation_waits_for_entra_then_signs_in_with_the_certificate(stack, admin, setup):
    body = admin.post(setup.url + "/certificate").json()
    before = record(setup.connection["id"])

    refused = admin.post(setup.url + "/certificate/activate")
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_client_certificate"), refused.text
    after = record(setup.connection["id"])
    assert "certificate_credential" not in after and after["client_secret_version"] == before["client_secret_version"]
    assert after["pending_certificate"]["thumbprint"] == body["thumbprint"]
    assert events_of(admin, setup.org, "connection.certificate_activation_refused")[0]["error"] == "invalid_client_certificate"
    sign_in(stack, setup)  # the secret still works meanwhile

    stack.simulator.update_app(setup.app["client_id"], {"certificates": [body["certificate_pem"]]})  # the admin uploads it
    activated = admin.post(setup.url + "/certificate/activate", json={"thumbprint": body["thumbprint"]})
    assert activated.status_code == 200, activated.text
    view = activated.json()
    assert view["credential_type"] == "certificate" and view["certificate"]["thumbprint"] == body["thumbprint"]
    assert view["pending_certificate"] is None and view["rollback_available_until"]
    doc = record(setup.connection["id"])
    assert doc["certificate_credential"]["key_version"] == before["pending_certificate"]["key_version"]
    assert doc["previous_credential"]["version"] == before["client_secret_version"]

    # Entra no longer accepts the secret: sign-ins must now prove themselves with the certificate.
    stack.simulator.update_app(setup.app["client_id"], {"remove_secrets": [setup.app["secret"]]})
    for _ in range(3):  # more than one: each token request needs a client assertion Entra has not seen
        profile = sign_in(stack, setup)
        assert profile["connection"] == setup.connection["id"]
    assert events_of(admin, setup.org, "connection.certificate_activated")


def test_activate_without_a_pending_certificate_or_for_another_one(admin, setup):
    none = admin.post(setup.url + "/certificate/activate")
    assert (none.status_code, none.json()["error"]) == (409, "no_pending_certificate")
    admin.post(setup.url + "/certificate")
    other = admin.post(setup.url + "/certificate/activate", json={"thumbprint": "AB" * 20})
    assert (other.status_code, other.json()["error"]) == (409, "no_pending_certificate")


def test_entra_unreachable_during_activation_changes_nothing(stack, admin, setup):
    body = admin.post(setup.url + "/certificate").json()
    stack.simulator.update_app(setup.app["client_id"], {"certificates": [body["certificate_pem"]]})
    stack.simulator.fail_token_endpoint(503, times=10)
    try:
        down = admin.post(setup.url + "/certificate/activate")
    finally:
        stack.simulator.clear_errors()
    assert (down.status_code, down.json()["error"]) == (503, "authority_unreachable"), down.text
    doc = record(setup.connection["id"])
    assert "certificate_credential" not in doc and doc["pending_certificate"]["thumbprint"] == body["thumbprint"]
    assert admin.post(setup.url + "/certificate/activate").status_code == 200


def test_rollback_after_activation_returns_to_the_secret(stack, admin, setup):
    body = admin.post(setup.url + "/certificate").json()
    stack.simulator.update_app(setup.app["client_id"], {"certificates": [body["certificate_pem"]]})
    assert admin.post(setup.url + "/certificate/activate").status_code == 200
    rolled = admin.post(setup.url + "/secret/rollback")
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["credential_type"] == "secret" and rolled.json()["certificate"] is None
    sign_in(stack, setup)



def test_a_secret_rotated_in_over_a_certificate_can_be_rolled_back_to_it(stack, admin, setup):
    from tests.lifecycle.helpers import new_entra_secret

    body = admin.post(setup.url + "/certificate").json()
    stack.simulator.update_app(setup.app["client_id"], {"certificates": [body["certificate_pem"]]})
    assert admin.post(setup.url + "/certificate/activate").status_code == 200
    value = new_entra_secret(stack, setup)
    rotated = admin.post(setup.url + "/secret", json={"client_secret": value, "expires_on": "2099-01-01"})
    assert rotated.status_code == 200 and rotated.json()["credential_type"] == "secret", rotated.text
    assert "certificate_credential" not in record(setup.connection["id"])
    sign_in(stack, setup)
    rolled = admin.post(setup.url + "/secret/rollback")
    assert rolled.status_code == 200 and rolled.json()["certificate"]["thumbprint"] == body["thumbprint"], rolled.text
    stack.simulator.update_app(setup.app["client_id"], {"remove_secrets": [setup.app["secret"], value]})
    sign_in(stack, setup)
