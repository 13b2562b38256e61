"""Where the service keeps client secrets and certificate private keys: Key Vault in Azure, an
encrypted local file in development. Import cost is kept low (cold starts): each implementation,
and the SDK or cryptography library behind it, is imported only when the store is first built."""
from __future__ import annotations

import functools

from shared.platform.settings import get_settings
from shared.secret_store.store import Secret, SecretNotFound, SecretStore, SecretVersion

__all__ = ["Secret", "SecretNotFound", "SecretStore", "SecretVersion", "get_secret_store"]


@functools.lru_cache(maxsize=1)
def get_secret_store() -> SecretStore:
    """The process-wide store: Key Vault when SSO_KEYVAULT_URL is set, else the local file (the
    settings guarantee exactly one is configured). Tests call `get_secret_store.cache_clear()`."""
    settings = get_settings()
    if settings.keyvault_url:
        from shared.secret_store.keyvault import KeyVaultSecretStore  # only the store in use loads its SDK (cold start)

        return KeyVaultSecretStore(settings.keyvault_url)
    from shared.secret_store.local import LocalSecretStore  # only the store in use loads (cold start)

    return LocalSecretStore(settings.local_secret_store_path, settings.local_secret_store_key)
