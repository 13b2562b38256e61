"""Unit tests of shared/oidc run against FakeEntra (our own keys, no network): settings point at
its host, and the module-level discovery and JWKS caches are replaced by ones that fetch from it."""
from __future__ import annotations

import pytest

from shared.oidc import discovery, jwks
from shared.platform.outbound import entra_http_client, http_session
from shared.platform.settings import get_settings
from tests.oidc.fake_entra import HOST, FakeEntra

SETTINGS = {
    "SSO_REGION": "eu",
    "SSO_PUBLIC_BASE_URL": "https://identity.eu.example.com",
    "SSO_BOOTSTRAP_API_KEY": "k" * 40,
    "SSO_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
    "SSO_KEYVAULT_URL": "https://vault.example.com",
    "SSO_ENTRA_AUTHORITY_HOST": HOST,
}


@pytest.fixture(autouse=True)
def settings(monkeypatch):
    for name in ("SSO_CA_BUNDLE", "SSO_LOCAL_SECRET_STORE_PATH", "SSO_LOCAL_SECRET_STORE_KEY", "SSO_STORAGE_TABLE_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in SETTINGS.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    http_session.cache_clear()
    entra_http_client.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
    http_session.cache_clear()
    entra_http_client.cache_clear()


@pytest.fixture
def entra(monkeypatch) -> FakeEntra:
    fake = FakeEntra()
    monkeypatch.setattr(discovery, "_default", discovery.DiscoveryCache(fetch=fake.fetch))
    monkeypatch.setattr(jwks, "_default", jwks.JwksCache(fetch=fake.fetch))
    return fake
