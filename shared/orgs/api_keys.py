"""API keys: the bootstrap (global) key from settings, and keys made by the API, stored hashed.

A key reads `sso_<key id>_<secret>`; only SHA-256 of the whole key is stored (keys are 256-bit
random, so a slow hash adds nothing). Every comparison is constant time. Lookups are cached
for a minute per key id so the token exchange does not pay a storage round trip per call.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import azure.functions as func

from shared.platform.errors import SsoError
from shared.platform.settings import get_settings
from shared.platform.timestamps import iso
from shared.storage import tables
from shared.storage.record import Record, internal
from shared.storage.record_cache import RecordCache

_KEY_FORMAT = re.compile(r"^sso_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$")
_CACHE_SECONDS = 60


class ApiKey(Record):
    """A key made by the API; `organization` None means a global key."""

    id: str  # the key id, also the partition key
    name: str
    organization: str | None
    hash: str = internal()  # SHA-256 of the whole key, hex: never answered
    created: str


_cache: RecordCache[tables.Stored[ApiKey]] = RecordCache(_CACHE_SECONDS)


@dataclass(frozen=True)
class Principal:
    """Who is calling: `organization` None means a global key."""

    key_id: str
    organization: str | None

    def require_global(self) -> None:
        if self.organization is not None:
            raise SsoError("forbidden")

    def require_organization(self, org: str) -> None:
        """Another org's resources look absent to an org-scoped key (no existence oracle)."""
        if self.organization is not None and self.organization != org:
            raise SsoError("not_found", f"No organization {org!r}.")


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8")).digest()


def _read(key_id: str) -> tables.Stored[ApiKey] | None:
    stored = tables.get("apikeys", key_id, "apikey")
    return stored.typed(ApiKey.from_stored) if stored else None


def _stored_key(key_id: str) -> ApiKey | None:
    stored = _cache.get(key_id, _read)
    return stored.doc if stored else None


def authenticate(req: func.HttpRequest) -> Principal:
    header = req.headers.get("authorization") or ""
    scheme, _, presented = header.partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented or len(presented) > 256:
        raise SsoError("unauthorized")
    if hmac.compare_digest(_digest(presented), _digest(get_settings().bootstrap_api_key)):
        return Principal("bootstrap", None)
    match = _KEY_FORMAT.match(presented)
    doc = _stored_key(match.group(1)) if match else None
    if doc is None or not hmac.compare_digest(bytes.fromhex(doc.hash), _digest(presented)):
        raise SsoError("unauthorized")
    return Principal(doc.id, doc.organization)


def delete_keys_of(organization: str) -> None:
    for stored in tables.query_all("apikeys", "organization eq @org", {"org": organization}, limit=100_000):
        tables.delete("apikeys", stored.partition_key, stored.row_key)
        _cache.forget(stored.partition_key)


def create_key(name: str, organization: str | None) -> tuple[ApiKey, str]:
    """Stores a new key; returns its record and the key itself (shown once)."""
    key_id = secrets.token_hex(8)
    key = f"sso_{key_id}_{secrets.token_urlsafe(32)}"
    record = ApiKey(id=key_id, name=name, organization=organization, hash=_digest(key).hex(), created=iso())
    tables.insert("apikeys", key_id, "apikey", record.to_stored(), {"organization": organization or ""})
    return record, key
