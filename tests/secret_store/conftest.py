from __future__ import annotations

import pytest

from shared.secret_store.keyvault import KeyVaultSecretStore
from shared.secret_store.local import LocalSecretStore
from tests.secret_store.fake_key_vault import FakeCredential, FakeKeyVault, new_vault_url

LOCAL_KEY = "a developer's key for the local secret store tests"


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


@pytest.fixture
def local_path(tmp_path) -> str:
    return str(tmp_path / "dev" / "secrets.json")  # the folder does not exist yet


@pytest.fixture
def local_store(local_path) -> LocalSecretStore:
    return LocalSecretStore(local_path, LOCAL_KEY)


@pytest.fixture(params=["local", "keyvault"])
def store(request):
    """A contract test takes `store` and runs against both implementations."""
    return request.getfixturevalue(f"{request.param}_store")
