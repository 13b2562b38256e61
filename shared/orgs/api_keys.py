"""API keys: the bootstrap (global) key from settings, and keys made by the API, stored hashed.

A key reads `sso_<key id>_<secret>`; only SHA-256 of the whole key is stored (keys are 256-bit
random, so a slow hash adds nothing). Every comparison is constant time.

Revoking is at once on every instance: a made key's row is read on every request it signs (one
point read; no instance can learn of another's revocation without reading), with one exception.
The token exchange ends in one transaction of the org's `activity` partition, so an org key
gets a guard row there (`apikey_<id>`, made with the key, deleted first when it is revoked): an
instance that has verified the key once puts an update of that row (If-Match `*`) into the
exchange's transaction instead of reading the key again (`authenticate_within`). Once the row
is gone the transaction fails on every instance, and `recheck` reads the key to answer 401.
`last_used` costs no write per request: it is written at most once per LAST_USED_EVERY per key,
by an etag-conditional replace that never brings a revoked key back.
"""

import hashlib
import hmac
import logging
import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

import azure.functions as func

from shared.platform.errors import SsoError
from shared.platform.observability import log
from shared.platform.settings import get_settings
from shared.platform.timestamps import iso, parse_iso, utc_now
from shared.storage import activity, tables
from shared.storage.record import Record, internal

_KEY_FORMAT = re.compile(r"^sso_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$")
KEY_ID = re.compile(r"^[0-9a-f]{16}\Z")
LAST_USED_EVERY = timedelta(hours=1)
MAX_PAGE = 100
_ROW = "apikey"
GUARD_PREFIX = "apikey_"  # the guard row of an org key, in the org's activity partition
_GUARD_DOC = {"kind": "api-key-guard"}
VERIFIED_CACHE_SIZE = 1024


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


def _presented(req: func.HttpRequest) -> str:
    header = req.headers.get("authorization") or ""
    scheme, _, presented = header.partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented or len(presented) > 256:
        raise SsoError("unauthorized")
    return presented


def _verified(presented: str) -> tables.Stored[ApiKey]:
    match = _KEY_FORMAT.match(presented)
    stored = _read(match.group(1)) if match else None
    if stored is None or not hmac.compare_digest(bytes.fromhex(stored.doc.hash), _digest(presented)):
        raise SsoError("unauthorized")
    return stored


def _is_bootstrap(presented: str) -> bool:
    return hmac.compare_digest(_digest(presented), _digest(get_settings().bootstrap_api_key))


def authenticate(req: func.HttpRequest) -> Principal:
    presented = _presented(req)
    if _is_bootstrap(presented):
        return Principal("bootstrap", None)
    stored = _verified(presented)
    _touch(stored)
    return Principal(stored.doc.id, stored.doc.organization)


class _VerifiedKeys:
    """Org keys this instance has verified against storage, by id (bounded, least recent out).
    Only `authenticate_within` trusts an entry, and only with the guard op it returns."""

    def __init__(self, size: int = VERIFIED_CACHE_SIZE):
        self._keys: OrderedDict[str, ApiKey] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key_id: str) -> ApiKey | None:
        with self._lock:
            key = self._keys.get(key_id)
            if key is not None:
                self._keys.move_to_end(key_id)
            return key

    def put(self, key: ApiKey) -> None:
        with self._lock:
            self._keys[key.id] = key
            self._keys.move_to_end(key.id)
            while len(self._keys) > self._size:
                self._keys.popitem(last=False)

    def forget(self, key_id: str) -> None:
        with self._lock:
            self._keys.pop(key_id, None)


_verified_keys = _VerifiedKeys()


def guard_op(key_id: str) -> tables.Op:
    """The operation that fails a transaction of the key's org partition once the key is revoked."""
    return tables.Op("update", GUARD_PREFIX + key_id, _GUARD_DOC, etag="*")


def authenticate_within(req: func.HttpRequest) -> tuple[Principal, tables.Op | None]:
    """`authenticate` for a request whose work is one transaction of the key's org's activity
    partition (the token exchange): with the principal, the op that transaction must include,
    or None when the key was checked against storage just now (or is the bootstrap key, or a
    global key, which has no org partition). A failure of that transaction, or of anything
    before it, is followed by `recheck`, so that a revoked key is answered 401."""
    presented = _presented(req)
    if _is_bootstrap(presented):
        return Principal("bootstrap", None), None
    match = _KEY_FORMAT.match(presented)
    known = _verified_keys.get(match.group(1)) if match else None
    if known is not None and known.organization is not None and hmac.compare_digest(bytes.fromhex(known.hash), _digest(presented)):
        return Principal(known.id, known.organization), guard_op(known.id)
    stored = _verified(presented)
    _touch(stored)
    if stored.doc.organization is not None:
        _verified_keys.put(stored.doc)
    return Principal(stored.doc.id, stored.doc.organization), None


def recheck(principal: Principal) -> bool:
    """After a request trusted `principal`'s key on its guard failed: the key read again (401
    when it was revoked). True when its guard row was missing and is made again (a key from
    before the guards, or one whose guard a failed write lost): the failed work may be retried."""
    _verified_keys.forget(principal.key_id)
    stored = _read(principal.key_id)
    if stored is None or stored.doc.organization is None:
        raise SsoError("unauthorized")
    _verified_keys.put(stored.doc)
    try:
        _make_guard(stored.doc.organization, stored.doc.id)
    except tables.AlreadyExists:
        return False
    return True


def _make_guard(organization: str, key_id: str) -> None:
    """The key's guard row in its org's partition (AlreadyExists when it is there)."""
    activity.insert(organization, GUARD_PREFIX + key_id, _GUARD_DOC)


def delete_keys_of(organization: str) -> None:
    for stored in tables.query_all("apikeys", "organization eq @org", {"org": organization}, limit=100_000):
        tables.delete("apikeys", stored.partition_key, stored.row_key)


def create_key(name: str, organization: str | None) -> tuple[ApiKey, str]:
    """Stores a new key; returns its record and the key itself (shown once)."""
    key_id = secrets.token_hex(8)
    key = f"sso_{key_id}_{secrets.token_urlsafe(32)}"
    record = ApiKey(id=key_id, name=name, organization=organization, hash=_digest(key).hex(), created=iso())
    tables.insert("apikeys", key_id, _ROW, record.to_stored(), {"organization": organization or ""})
    if organization is not None:
        _make_guard(organization, key_id)
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
        if stored.doc.organization is not None:
            # First: from here on, every instance's token exchange with this key fails (a
            # delete of a missing row is success, which is right here: gone is what it asks).
            tables.delete(activity.TABLE, stored.doc.organization, GUARD_PREFIX + key_id)
        _verified_keys.forget(key_id)
        try:
            tables.transact("apikeys", key_id, [tables.Op("delete", _ROW, etag=stored.etag)])
            return True
        except tables.EtagMismatch:
            continue
    raise SsoError("conflict", "The key kept changing while it was revoked; revoke it again.")
