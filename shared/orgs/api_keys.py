"""API keys: the bootstrap (global) key from settings, and keys made by the API, stored hashed.

A key reads `sso_<key id>_<secret>`; only SHA-256 of the whole key is stored (keys are 256-bit
random, so a slow hash adds nothing). Every comparison is constant time.

Revoking is at once on every instance: a made key's row is read on every request it signs (one
point read; no cache, since no instance can learn of another's revocation without reading).
`last_used` costs no write per request: it is written at most once per LAST_USED_EVERY per key,
by an etag-conditional replace that never brings a revoked key back.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import azure.functions as func

from shared.platform.errors import SsoError
from shared.platform.observability import log
from shared.platform.settings import get_settings
from shared.platform.timestamps import iso, parse_iso, utc_now
from shared.storage import tables
from shared.storage.record import Record, internal

_KEY_FORMAT = re.compile(r"^sso_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$")
KEY_ID = re.compile(r"^[0-9a-f]{16}\Z")
LAST_USED_EVERY = timedelta(hours=1)
MAX_PAGE = 100
_ROW = "apikey"


class ApiKey(Record):
    """A key made by the API; `organization` None means a global key."""

    id: str  # the key id, also the partition key
    name: str
    organization: str | None
    hash: str = internal()  # SHA-256 of the whole key, hex: never answered
    created: str
    last_used: str | None = None  # to the hour (LAST_USED_EVERY); absent until first used

    def listed(self) -> dict:
        """As `GET .../api-keys` lists it: never the key, nor any character of its secret part."""
        return {"id": self.id, "name": self.name, "prefix": f"sso_{self.id}_", "created": self.created,
                "last_used": self.last_used}


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
    stored = tables.get("apikeys", key_id, _ROW)
    return stored.typed(ApiKey.from_stored) if stored else None


def _touch(stored: tables.Stored[ApiKey]) -> None:
    """Records that the key was used, when it last was more than LAST_USED_EVERY ago. Only if the
    row is unchanged since read: a key revoked meanwhile stays revoked (a replace never creates).
    Best effort: the request it serves does not fail for it."""
    last = stored.doc.last_used
    now = utc_now()
    if last is not None and now - parse_iso(last) < LAST_USED_EVERY:
        return
    try:
        tables.replace("apikeys", stored.partition_key, _ROW, stored.doc.replace(last_used=iso(now)).to_stored(), stored.etag,
                       {"organization": stored.doc.organization or ""})
    except tables.EtagMismatch:
        pass  # another request wrote it first, or the key was revoked
    except SsoError as err:
        log(logging.WARNING, "api_key_last_used_not_written", key_id=stored.doc.id, error=err.code)


def authenticate(req: func.HttpRequest) -> Principal:
    header = req.headers.get("authorization") or ""
    scheme, _, presented = header.partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented or len(presented) > 256:
        raise SsoError("unauthorized")
    if hmac.compare_digest(_digest(presented), _digest(get_settings().bootstrap_api_key)):
        return Principal("bootstrap", None)
    match = _KEY_FORMAT.match(presented)
    stored = _read(match.group(1)) if match else None
    if stored is None or not hmac.compare_digest(bytes.fromhex(stored.doc.hash), _digest(presented)):
        raise SsoError("unauthorized")
    _touch(stored)
    return Principal(stored.doc.id, stored.doc.organization)


def delete_keys_of(organization: str) -> None:
    for stored in tables.query_all("apikeys", "organization eq @org", {"org": organization}, limit=100_000):
        tables.delete("apikeys", stored.partition_key, stored.row_key)


def create_key(name: str, organization: str | None) -> tuple[ApiKey, str]:
    """Stores a new key; returns its record and the key itself (shown once)."""
    key_id = secrets.token_hex(8)
    key = f"sso_{key_id}_{secrets.token_urlsafe(32)}"
    record = ApiKey(id=key_id, name=name, organization=organization, hash=_digest(key).hex(), created=iso())
    tables.insert("apikeys", key_id, _ROW, record.to_stored(), {"organization": organization or ""})
    return record, key


def list_keys(organization: str, cursor: str | None, limit: int = 50) -> tuple[list[ApiKey], str | None]:
    """One page of the org's keys, in key id order."""
    page, next_cursor = tables.query_page("apikeys", "organization eq @org and RowKey eq @row", {"org": organization, "row": _ROW},
                                          page_size=max(1, min(limit, MAX_PAGE)), cursor=cursor)
    return [ApiKey.from_stored(item.doc) for item in page], next_cursor


def revokable(principal: Principal, key_id: str) -> ApiKey:
    """The key `principal` may revoke: any, for a global key; its own org's, for an org key.
    Any other looks absent (404), as another org's resources do."""
    stored = _read(key_id) if KEY_ID.match(key_id or "") else None
    if stored is None or (principal.organization is not None and stored.doc.organization != principal.organization):
        raise SsoError("not_found", f"No API key {key_id!r}.")
    return stored.doc


def revoke(key_id: str) -> bool:
    """Deletes the key's row; True for the one request that did. A delete inside a transaction
    fails when the row is already gone (delete_entity alone would report success), so of
    simultaneous revocations exactly one wins; a `last_used` write in between only retries it."""
    for _ in range(5):
        stored = _read(key_id)
        if stored is None:
            return False
        try:
            tables.transact("apikeys", key_id, [tables.Op("delete", _ROW, etag=stored.etag)])
            return True
        except tables.EtagMismatch:
            continue
    raise SsoError("conflict", "The key kept changing while it was revoked; revoke it again.")
