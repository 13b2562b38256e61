"""HTTP clients for calls the stamp makes: Entra (discovery, JWKS, token), metadata URLs, webhooks.

`http_session()` (requests) for all of them, and `entra_http_client()`, a lean one that MSAL uses
for Entra's token endpoint on every sign-in (see EntraHttpClient). Both trust the same roots.

requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a Session's `verify` (they are merged
per request, and the per-request value wins). We therefore pass `verify` on every request, so
trust is exactly: the system/certifi roots, plus SSO_CA_BUNDLE when it is set.
"""
from __future__ import annotations

import functools
import http.client
import json
import os
import ssl
import tempfile
import threading
from urllib.parse import urlencode, urlsplit

import certifi
import requests

from shared.platform import http1
from shared.platform.settings import get_settings

DEFAULT_TIMEOUT_SECONDS = 5


class PinnedTrustSession(requests.Session):
    """A Session whose CA trust, proxy and timeout cannot be changed by the environment."""

    def __init__(self, ca_file: str, timeout: float = DEFAULT_TIMEOUT_SECONDS):
        super().__init__()
        # Nothing from the environment: no proxy (it would carry the request past the address
        # rules' pinned connection), no .netrc credentials, and no per-request scan of os.environ
        # (which was a twelfth of a sign-in's CPU).
        self.trust_env = False
        self._ca_file = ca_file
        self._timeout = timeout

    def request(self, method, url, **kwargs):
        kwargs["verify"] = self._ca_file
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, **kwargs)


@functools.lru_cache(maxsize=4)
def trust_file(extra_ca: str | None) -> str:
    """certifi's roots, plus the extra CA when one is configured (written once per process)."""
    if not extra_ca:
        return certifi.where()
    with open(certifi.where(), "rb") as roots, open(extra_ca, "rb") as extra:
        combined = roots.read() + b"\n" + extra.read()
    handle, path = tempfile.mkstemp(prefix="entra-sso-ca-", suffix=".pem")
    with os.fdopen(handle, "wb") as out:
        out.write(combined)
    return path


@functools.lru_cache(maxsize=1)
def http_session() -> PinnedTrustSession:
    """The process-wide session (connection pooling across requests to Entra)."""
    return PinnedTrustSession(trust_file(get_settings().ca_bundle))


class EntraResponse:
    """What MSAL reads of an answer: status_code, text and headers (names in lower case)."""

    def __init__(self, status: int, headers: dict[str, str], content: bytes):
        self.status_code, self.headers, self.content = status, headers, content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise requests.HTTPError(f"HTTP {self.status_code}", response=None)


class EntraHttpClient:
    """MSAL's `http_client`: keep-alive HTTP/1.1 (shared/platform/http1.py) per host, trusting
    exactly what http_session trusts, with its timeout, no proxy, no .netrc, and no redirect
    followed (an answer is returned as it came). On the sign-in path requests + urllib3 cost more
    CPU than the rest of the token call; MSAL needs only get/post and status, text, headers.
    A failure to connect or read raises requests.ConnectionError, as the session it replaces did."""

    def __init__(self, ca_file: str, timeout: float = DEFAULT_TIMEOUT_SECONDS):
        self._context = ssl.create_default_context(cafile=ca_file)
        self._timeout = timeout
        self._pools: dict[tuple[str, str, int | None], http1.Pool] = {}
        self._lock = threading.Lock()

    def get(self, url: str, params=None, headers=None, **kwargs) -> EntraResponse:
        return self._request("GET", url, params, headers, b"")

    def post(self, url: str, params=None, data=None, headers=None, **kwargs) -> EntraResponse:
        headers = dict(headers or {})
        if isinstance(data, dict):
            body = urlencode(data).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        else:
            body = data.encode() if isinstance(data, str) else (data or b"")
        return self._request("POST", url, params, headers, body)

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()

    def _pool(self, scheme: str, host: str, port: int | None) -> http1.Pool:
        key = (scheme, host, port)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = http1.Pool(scheme, host, port, self._context if scheme == "https" else None, self._timeout)
            return pool

    def _request(self, method: str, url: str, params, headers, body: bytes) -> EntraResponse:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise requests.exceptions.InvalidURL(f"not an http(s) URL: {url[:80]}")
        query = "&".join(q for q in (parts.query, urlencode(params) if params else "") if q)
        target = (parts.path or "/") + (f"?{query}" if query else "")
        sent = {"User-Agent": "entra-sso", "Accept": "application/json", **(headers or {})}
        try:
            status, answer, content = self._pool(parts.scheme, parts.hostname, parts.port).exchange(method, target, sent, body)
        except (OSError, http.client.HTTPException) as exc:
            raise requests.ConnectionError(f"{parts.hostname}: {type(exc).__name__}") from exc
        return EntraResponse(status, answer, content)


@functools.lru_cache(maxsize=1)
def entra_http_client() -> EntraHttpClient:
    """The process-wide client MSAL uses (its connections are kept across sign-ins)."""
    return EntraHttpClient(trust_file(get_settings().ca_bundle))
