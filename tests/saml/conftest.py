"""Unit tests of shared/saml: responses built by the simulator's saml_idp with our own keys; no
network (metadata fetches go to servers on loopback), no storage."""
from __future__ import annotations

import pytest

from local.entra_sim import pki
from shared.platform.settings import get_settings
from shared.saml import SamlConnection
from tests.saml.entra import BASE_URL, CONNECTION_ID, TENANT_ID

SETTINGS = {
    "SSO_REGION": "eu",
    "SSO_PUBLIC_BASE_URL": BASE_URL,
    "SSO_BOOTSTRAP_API_KEY": "k" * 40,
    "SSO_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
    "SSO_KEYVAULT_URL": "https://vault.example.com",
}


@pytest.fixture(autouse=True)
def settings(monkeypatch):
    for name in ("SSO_CA_BUNDLE", "SSO_LOCAL_SECRET_STORE_PATH", "SSO_LOCAL_SECRET_STORE_KEY",
                 "SSO_STORAGE_TABLE_ENDPOINT", "SSO_ALLOW_LOOPBACK_METADATA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in SETTINGS.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def idp_key() -> pki.KeyPair:
    """The tenant's active SAML signing certificate."""
    return pki.self_signed("Microsoft Azure Federated SSO Certificate", days=3 * 365)


@pytest.fixture(scope="session")
def rollover_key() -> pki.KeyPair:
    """The new certificate during a rollover, listed next to the active one."""
    return pki.self_signed("Microsoft Azure Federated SSO Certificate", days=3 * 365)


@pytest.fixture(scope="session")
def other_key() -> pki.KeyPair:
    """Another connection's (or an attacker's own tenant's) signing certificate."""
    return pki.self_signed("Microsoft Azure Federated SSO Certificate", days=3 * 365)


@pytest.fixture
def connection(idp_key) -> SamlConnection:
    return SamlConnection(
        connection_id=CONNECTION_ID,
        idp_entity_id=f"https://sts.windows.net/{TENANT_ID}/",
        idp_sso_url=f"https://login.microsoftonline.com/{TENANT_ID}/saml2",
        idp_certificates=(idp_key.cert_pem.decode(),),
    )
