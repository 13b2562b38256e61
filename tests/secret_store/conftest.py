from __future__ import annotations

import pytest

from shared.secret_store.keyvault import KeyVaultSecretStore
from tests.secret_store.fake_key_vault import FakeCredential, FakeKeyVault, new_vault_url


@pytest.fixture
def vault() -> FakeKeyVault:
    return FakeKeyVault(new_vault_url())


@pytest.fixture
def credential() -> FakeCredential:
    return FakeCredential()


@pytest.fixture
def keyvault_store(vault, credential) -> KeyVaultSecretStore:
    # Two retries keep failure tests short; the fake vault records backoff instead of sleeping.
    return KeyVaultSecretStore(vault.vault_url, credential=credential, transport=vault, retry_total=2)
