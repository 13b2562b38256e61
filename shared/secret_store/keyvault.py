"""The secret store in Azure Key Vault, through azure-keyvault-secrets.

The Azure SDK is imported when a store is built, not when this module is imported: importing
azure.identity alone takes a noticeable part of a Functions cold start.
"""
from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any, Iterator, Mapping

from shared.platform.errors import SsoError
from shared.secret_store.names import vault_name
from shared.secret_store.store import Secret, SecretNotFound, SecretVersion, validate_write

# The SDK's defaults wait up to 300 s for a connection and for a response; an HTTP-triggered
# function should give up long before that and say the store is unavailable.
CONNECTION_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 10


class KeyVaultSecretStore:
    """`SecretStore` over one vault. `credential` defaults to DefaultAzureCredential, which uses the
    Function App's managed identity (a user-assigned one when AZURE_CLIENT_ID names it);
    `client_options` go to SecretClient (tests pass a transport and a retry policy)."""

    def __init__(self, vault_url: str, *, credential: Any = None, **client_options: Any):
        from azure.keyvault.secrets import SecretClient

        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        client_options.setdefault("connection_timeout", CONNECTION_TIMEOUT_SECONDS)
        client_options.setdefault("read_timeout", READ_TIMEOUT_SECONDS)
        self._client = SecretClient(vault_url, credential, **client_options)

    def set_secret(
        self, name: str, value: str, *, expires_on: datetime | None = None, tags: Mapping[str, str] | None = None
    ) -> SecretVersion:
        tags = validate_write(name, value, expires_on, tags)
        with _translate_errors(name):
            stored = self._client.set_secret(vault_name(name), value, expires_on=expires_on, tags=tags)
        return _version(name, stored.properties)

    def get_secret(self, name: str, version_id: str | None = None) -> Secret:
        with _translate_errors(name, version_id):
            stored = self._client.get_secret(vault_name(name), version_id)
        return Secret(value=stored.value, version=_version(name, stored.properties))

    def list_versions(self, name: str) -> list[SecretVersion]:
        with _translate_errors(name):
            versions = [_version(name, p) for p in self._client.list_properties_of_secret_versions(vault_name(name))]
        # Key Vault lists versions in no particular order.
        return sorted(versions, key=lambda v: v.created_on, reverse=True)

    def delete_secret(self, name: str) -> None:
        with contextlib.suppress(SecretNotFound), _translate_errors(name):
            # The DELETE has taken effect when this returns (the secret is gone from the active
            # collection); the poller only waits for it to reach the deleted collection, which
            # matters to purge or recover, neither of which the service does. So it is not awaited.
            self._client.begin_delete_secret(vault_name(name))


def _version(name: str, properties: Any) -> SecretVersion:
    return SecretVersion(
        name=name,
        version_id=properties.version,
        created_on=properties.created_on,
        expires_on=properties.expires_on,
        enabled=bool(properties.enabled),
        tags=properties.tags or {},
    )


@contextlib.contextmanager
def _translate_errors(name: str, version_id: str | None = None) -> Iterator[None]:
    """Maps SDK failures onto the store's errors. The SDK has already retried what it retries
    (connection errors, 408, 429, 5xx) by the time an error reaches here. Any other answer (a 400,
    or a 409 for a name still held by a soft-deleted secret) propagates unchanged: validation
    and never-reused names should rule it out, so it is a bug to fix, not a state to handle."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceNotFoundError,
        ServiceRequestError,
        ServiceResponseError,
    )

    try:
        yield
    except ResourceNotFoundError:
        raise SecretNotFound(name, version_id) from None
    except ClientAuthenticationError as exc:  # includes azure.identity's CredentialUnavailableError
        raise SsoError("secret_store_unavailable", f"No token for Key Vault ({type(exc).__name__}); check the Function App's managed identity.") from exc
    except (ServiceRequestError, ServiceResponseError, ConnectionError) as exc:
        raise SsoError("secret_store_unavailable", f"Key Vault could not be reached ({type(exc).__name__}); retry shortly.") from exc
    except HttpResponseError as exc:
        if exc.status_code == 403:
            raise SsoError(
                "secret_store_unavailable",
                "Key Vault refused access (403): give the Function App's identity the Key Vault Secrets Officer role and let it through the vault's firewall.",
            ) from exc
        if exc.status_code == 429 or (exc.status_code or 0) >= 500:
            raise SsoError("secret_store_unavailable", f"Key Vault answered {exc.status_code} after retries; retry shortly.") from exc
        raise
