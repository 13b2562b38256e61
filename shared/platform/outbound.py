"""HTTP client for calls the stamp makes: Entra (discovery, JWKS, token), metadata URLs, webhooks.

requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a Session's `verify` (they are merged
per request, and the per-request value wins). We therefore pass `verify` on every request, so
trust is exactly: the system/certifi roots, plus SSO_CA_BUNDLE when it is set.
"""
from __future__ import annotations

import functools
import os
import tempfile

import certifi
import requests

from shared.platform.settings import get_settings

DEFAULT_TIMEOUT_SECONDS = 5


class PinnedTrustSession(requests.Session):
    """A Session whose CA trust and timeout cannot be changed by the environment."""

    def __init__(self, ca_file: str, timeout: float = DEFAULT_TIMEOUT_SECONDS):
        super().__init__()
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
