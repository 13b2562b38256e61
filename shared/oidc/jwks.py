"""Signing keys (JWKS) per jwks_uri: parsed once, looked up by `kid`, refreshed sparingly.

Entra rolls its keys over by publishing the new key before signing with it, so an unknown `kid`
usually means our copy is old: we fetch again, but at most once per UNKNOWN_KID_REFRESH_SECONDS
per jwks_uri, so tokens with made-up `kid`s cannot make us hammer Entra. Keys are also refetched
after JWKS_TTL_SECONDS, so a key Entra withdraws stops being accepted within a day.
"""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Callable

from shared.oidc.fetch import JsonFetcher, fetch_json
from shared.platform.errors import SsoError

if TYPE_CHECKING:  # PyJWT loads with the first key set parsed (_rs256_keys), off the cold start
    from jwt import PyJWK

UNKNOWN_KID_REFRESH_SECONDS = 60
JWKS_TTL_SECONDS = 24 * 3600


def _rs256_keys(document: object) -> dict[str, PyJWK]:
    """The document's RSA signing keys by kid; other keys (encryption, other types) are skipped."""
    from jwt import PyJWK  # on first use (an instance's warm-up or first sign-in): PyJWT and cryptography stay off the cold start
    from jwt.exceptions import InvalidKeyError, PyJWKError

    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise SsoError("authority_unreachable", "The authority's JWKS is not a JSON key set; check SSO_ENTRA_AUTHORITY_HOST.")
    keys: dict[str, PyJWK] = {}
    for jwk in document["keys"]:
        if not (isinstance(jwk, dict) and isinstance(jwk.get("kid"), str) and jwk.get("kty") == "RSA"
                and jwk.get("use", "sig") == "sig" and jwk.get("alg", "RS256") == "RS256"):
            continue
        try:
            keys.setdefault(jwk["kid"], PyJWK(jwk, algorithm="RS256"))
        except (InvalidKeyError, PyJWKError):
            continue  # one unusable key must not take the others down
    return keys


class _KeySet:
    def __init__(self) -> None:
        self.lock = threading.Lock()  # serialises fetches of this jwks_uri
        self.keys: dict[str, PyJWK] = {}  # replaced whole, never mutated: read without the lock
        self.fetched_at: float | None = None  # last successful fetch
        self.attempted_at = float("-inf")  # last fetch, failed or not: the unknown-kid limit counts both


class JwksCache:
    def __init__(self, fetch: JsonFetcher = fetch_json, clock: Callable[[], float] = time.monotonic,
                 unknown_kid_refresh: float = UNKNOWN_KID_REFRESH_SECONDS, ttl: float = JWKS_TTL_SECONDS):
        self._fetch = fetch
        self._clock = clock
        self._unknown_kid_refresh = unknown_kid_refresh
        self._ttl = ttl
        self._sets: dict[str, _KeySet] = {}
        self._sets_lock = threading.Lock()

    def _key_set(self, jwks_uri: str) -> _KeySet:
        key_set = self._sets.get(jwks_uri)
        if key_set is None:
            with self._sets_lock:
                key_set = self._sets.setdefault(jwks_uri, _KeySet())
        return key_set

    def _needs_fetch(self, key_set: _KeySet, kid: str, now: float) -> bool:
        if key_set.fetched_at is None or now - key_set.fetched_at >= self._ttl:
            return True
        return kid not in key_set.keys and now - key_set.attempted_at >= self._unknown_kid_refresh

    def key(self, jwks_uri: str, kid: str) -> PyJWK:
        """The key with this kid, or `id_token_unknown_key`; `authority_unreachable` if a needed fetch fails."""
        key_set = self._key_set(jwks_uri)
        if self._needs_fetch(key_set, kid, self._clock()):
            with key_set.lock:
                now = self._clock()
                if self._needs_fetch(key_set, kid, now):  # another thread may have fetched meanwhile
                    self._refresh(key_set, jwks_uri, now)
        found = key_set.keys.get(kid)
        if found is None:
            raise SsoError("id_token_unknown_key")
        return found

    def _refresh(self, key_set: _KeySet, jwks_uri: str, now: float) -> None:
        """Fetches the key set (call holding key_set.lock)."""
        key_set.attempted_at = now
        status, body = self._fetch(jwks_uri)
        if status != 200:
            raise SsoError("authority_unreachable", f"Entra answered HTTP {status} for the tenant's signing keys; retry shortly.")
        key_set.keys = _rs256_keys(body)
        key_set.fetched_at = now

    def prefetch(self, jwks_uri: str) -> None:
        """Fetches the key set unless it is fresh (an instance's warm-up: no kid asked for yet)."""
        key_set = self._key_set(jwks_uri)
        with key_set.lock:
            now = self._clock()
            if key_set.fetched_at is None or now - key_set.fetched_at >= self._ttl:
                self._refresh(key_set, jwks_uri, now)


_default = JwksCache()


def signing_key(jwks_uri: str, kid: str) -> PyJWK:
    return _default.key(jwks_uri, kid)


def prefetch(jwks_uri: str) -> None:
    _default.prefetch(jwks_uri)
