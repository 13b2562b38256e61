"""The tenant's OpenID Provider configuration (Entra's v2.0 discovery document), cached.

Read when an admin creates or updates a connection (does the tenant exist?) and by the ID-token
validator for the tenant's `jwks_uri`. The document's `issuer` is checked against the issuer we
build ourselves (entra_tenant.issuer_for), so a wrong SSO_ENTRA_AUTHORITY_HOST shows up when the
connection is saved rather than as a rejected token at every sign-in.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from shared.oidc.entra_tenant import CONSUMER_TENANT_ID, MULTI_TENANT, authority_url, issuer_for, normalize_tenant
from shared.oidc.fetch import JsonFetcher, fetch_json
from shared.platform.errors import SsoError
from shared.platform.settings import get_settings

# Entra's endpoints do not move; signing keys rotate, but jwks.py refreshes those on its own.
DISCOVERY_TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str  # for `organizations`, Entra's `{tenantid}` template: never compared to a token
    jwks_uri: str
    token_endpoint: str  # the `aud` of our client assertions (MSAL reads the rest of the document itself)


def discovery_url(tenant: str, *, any_account: bool = False) -> str:
    return f"{authority_url(tenant, any_account=any_account)}/v2.0/.well-known/openid-configuration"


def _expected_issuer(tenant: str) -> str:
    if tenant in (MULTI_TENANT, "common"):
        return f"{get_settings().entra_authority_host}/{{tenantid}}/v2.0"
    if tenant == "consumers":  # Entra's consumers document names the consumer tenant itself
        return issuer_for(CONSUMER_TENANT_ID)
    return issuer_for(tenant)


def _parse(tenant: str, document: object) -> ProviderMetadata:
    fields = ProviderMetadata.__dataclass_fields__
    if not isinstance(document, dict) or not all(isinstance(document.get(name), str) for name in fields):
        raise SsoError("authority_unreachable", "The authority's discovery document lacks issuer, jwks_uri or token_endpoint; check SSO_ENTRA_AUTHORITY_HOST.")
    metadata = ProviderMetadata(**{name: document[name] for name in fields})
    if metadata.issuer != _expected_issuer(tenant):
        raise SsoError("authority_unreachable", f"The discovery document names issuer {metadata.issuer!r}, expected {_expected_issuer(tenant)!r}; check SSO_ENTRA_AUTHORITY_HOST.")
    return metadata


class DiscoveryCache:
    """Discovery documents by URL, each kept for `ttl` seconds. Two concurrent misses may both
    fetch; the result is the same document, so that costs one extra GET and needs no lock."""

    def __init__(self, fetch: JsonFetcher = fetch_json, clock: Callable[[], float] = time.monotonic, ttl: float = DISCOVERY_TTL_SECONDS):
        self._fetch = fetch
        self._clock = clock
        self._ttl = ttl
        self._entries: dict[str, tuple[float, ProviderMetadata]] = {}

    def get(self, tenant: str, *, any_account: bool = False) -> ProviderMetadata:
        tenant = normalize_tenant(tenant, any_account=any_account)
        url = discovery_url(tenant, any_account=any_account)
        now = self._clock()
        cached = self._entries.get(url)
        if cached and now < cached[0]:
            return cached[1]
        status, body = self._fetch(url)
        if status in (400, 404):  # Entra's unknown tenant: 400 invalid_tenant, AADSTS90002
            raise SsoError("tenant_not_found", f"Entra has no tenant {tenant}; copy the Directory (tenant) ID from the Entra admin center.")
        if status != 200:
            raise SsoError("authority_unreachable", f"Entra answered HTTP {status} for the tenant's discovery document; retry shortly.")
        metadata = _parse(tenant, body)
        self._entries[url] = (now + self._ttl, metadata)
        return metadata


_default = DiscoveryCache()


def provider_metadata(tenant: str, *, any_account: bool = False) -> ProviderMetadata:
    """The tenant's discovery document (`tenant_not_found` / `authority_unreachable`);
    `any_account` also admits `common` and `consumers` (Sign in with Microsoft for any account)."""
    return _default.get(tenant, any_account=any_account)
