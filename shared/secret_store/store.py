"""The secret store contract: what the service may do with secrets, whichever store holds them.

Implementations: `keyvault.KeyVaultSecretStore` (Azure) and `local.LocalSecretStore` (development).

Errors, the same for every implementation:
- a name outside the grammar of `names.py`, or a value, expiry or tags Key Vault would refuse:
  `ValueError` (names and values come from our own code, so this is a bug, not bad user input);
- no such secret, or no such version of it: `SecretNotFound`;
- the store cannot be used (unreachable, throttled after retries, no credential, access denied,
  undecryptable): `SsoError("secret_store_unavailable")`.
No message, log line or repr ever contains a secret value.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Mapping, Protocol

from shared.secret_store.names import validate_name

# Key Vault's limits; the local store enforces them too, so development fails where Azure would.
MAX_VALUE_BYTES = 25 * 1024
MAX_TAGS = 15
MAX_TAG_NAME_CHARS = 512
MAX_TAG_VALUE_CHARS = 256


class SecretNotFound(LookupError):
    """The secret, or the requested version of it, does not exist (or was deleted)."""

    def __init__(self, name: str, version_id: str | None = None):
        self.name = name
        self.version_id = version_id
        super().__init__(f"no secret {name!r}" if version_id is None else f"secret {name!r} has no version {version_id!r}")


@dataclass(frozen=True)
class SecretVersion:
    """One version's metadata; never the value. Times are UTC, to the second (Key Vault's resolution)."""

    name: str
    version_id: str
    created_on: datetime
    expires_on: datetime | None
    enabled: bool
    tags: Mapping[str, str]

    def __post_init__(self):
        object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))


@dataclass(frozen=True)
class Secret:
    """A version's value with its metadata. The value is left out of repr/str so that logging
    or formatting a Secret cannot leak it; read `.value` explicitly where it is needed."""

    value: str = field(repr=False)
    version: SecretVersion


class SecretStore(Protocol):
    def set_secret(
        self, name: str, value: str, *, expires_on: datetime | None = None, tags: Mapping[str, str] | None = None
    ) -> SecretVersion:
        """Stores `value` as a new version of `name` (creating the secret if needed), which becomes
        the current one; earlier versions stay readable by id. `expires_on` is recorded, not
        enforced: an expired version can still be read (as in Key Vault)."""

    def get_secret(self, name: str, version_id: str | None = None) -> Secret:
        """The current version of `name`, or the given version."""

    def list_versions(self, name: str) -> list[SecretVersion]:
        """Every version of `name`, newest first; empty when the secret does not exist."""

    def delete_secret(self, name: str) -> None:
        """Deletes every version of `name`; deleting a missing secret is not an error. In Key
        Vault with soft delete the name stays reserved until purged, so names are never reused."""


def validate_write(name: str, value: str, expires_on: datetime | None, tags: Mapping[str, str] | None) -> dict[str, str]:
    """Checks a set_secret call against the contract; returns the tags as a plain dict."""
    validate_name(name)
    if not isinstance(value, str) or not value:
        raise ValueError("a secret value must be a non-empty string")
    size = len(value.encode("utf-8"))
    if size > MAX_VALUE_BYTES:
        raise ValueError(f"a secret value must be at most {MAX_VALUE_BYTES} bytes, this one is {size}")
    if expires_on is not None and (not isinstance(expires_on, datetime) or expires_on.utcoffset() is None):
        raise ValueError("expires_on must be a timezone-aware datetime")
    tags = dict(tags or {})
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags are allowed, got {len(tags)}")
    for key, tag_value in tags.items():
        if not (isinstance(key, str) and isinstance(tag_value, str)):
            raise ValueError("tag names and values must be strings")
        if not key or len(key) > MAX_TAG_NAME_CHARS or len(tag_value) > MAX_TAG_VALUE_CHARS:
            raise ValueError(f"tag {key[:40]!r}: names must be 1-{MAX_TAG_NAME_CHARS} characters, values at most {MAX_TAG_VALUE_CHARS}")
    return tags
