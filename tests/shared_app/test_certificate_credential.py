"""Where no federated credential can be set up, the shared app's credential is a certificate kept
in the secret store (Key Vault in Azure): a fresh client assertion is signed with it per request."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from local.entra_sim.shared_app import SAAS_TENANT, SHARED_APP_CLIENT_ID
from shared import secret_store
from shared.oidc.entra_client import AppRegistration, probe_credential
from shared.platform.errors import SsoError
from shared.shared_app.credential import certificate_credential


def _certificate() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shared app")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def _probe(credential: dict) -> None:
    probe_credential(AppRegistration("cert-test", f"cert:{secrets.token_hex(6)}", SAAS_TENANT, SHARED_APP_CLIENT_ID, credential))


def test_a_certificate_from_the_secret_store_proves_the_shared_app(stack):
    key_pem, cert_pem = _certificate()
    name = f"shared-app-{secrets.token_hex(4)}"
    secret_store.get_secret_store().set_secret(name, key_pem + cert_pem)
    with pytest.raises(SsoError) as refused:  # not uploaded to the app registration yet
        _probe(certificate_credential(name))
    assert refused.value.code == "invalid_client_certificate"
    stack.simulator.update_app(SHARED_APP_CLIENT_ID, {"certificates": [cert_pem]})
    _probe(certificate_credential(name))


def test_a_missing_or_unreadable_certificate_says_what_to_import(stack):
    with pytest.raises(SsoError) as missing:
        certificate_credential(f"absent-{secrets.token_hex(4)}")
    assert missing.value.code == "shared_app_not_configured"
    name = f"shared-app-{secrets.token_hex(4)}"
    secret_store.get_secret_store().set_secret(name, "not a pem")
    with pytest.raises(SsoError) as unreadable:
        certificate_credential(name)
    assert unreadable.value.code == "shared_app_not_configured"
