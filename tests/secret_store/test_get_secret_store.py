"""Choosing the store from settings, once per process, without paying for the SDK on import."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared.platform.settings import get_settings
from shared.secret_store import get_secret_store
from shared.secret_store.keyvault import KeyVaultSecretStore
from shared.secret_store.local import LocalSecretStore

BASE_ENV = {
    "SSO_REGION": "eu",
    "SSO_PUBLIC_BASE_URL": "https://identity.eu.example.com",
    "SSO_BOOTSTRAP_API_KEY": "b" * 40,
    "SSO_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
}


@pytest.fixture
def configure(monkeypatch):
    def apply(**settings: str) -> None:
        for name in ("SSO_KEYVAULT_URL", "SSO_LOCAL_SECRET_STORE_PATH", "SSO_LOCAL_SECRET_STORE_KEY", "SSO_STORAGE_TABLE_ENDPOINT"):
            monkeypatch.delenv(name, raising=False)
        for name, value in {**BASE_ENV, **settings}.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        get_secret_store.cache_clear()

    yield apply
    get_settings.cache_clear()
    get_secret_store.cache_clear()


def test_key_vault_when_its_url_is_set(configure):
    configure(SSO_KEYVAULT_URL="https://entra-sso-eu.vault.azure.net")
    assert isinstance(get_secret_store(), KeyVaultSecretStore)


def test_the_local_file_otherwise_and_one_store_per_process(configure, tmp_path):
    configure(SSO_LOCAL_SECRET_STORE_PATH=str(tmp_path / "secrets.json"), SSO_LOCAL_SECRET_STORE_KEY="dev key")
    store = get_secret_store()
    assert isinstance(store, LocalSecretStore)
    assert get_secret_store() is store


def test_importing_the_package_loads_neither_the_azure_sdk_nor_cryptography():
    probe = (
        "import sys, shared.secret_store, shared.secret_store.keyvault; "
        "print(sorted(m for m in sys.modules if m.startswith(('azure', 'cryptography'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
