"""How Entra names tenants, and the authority and issuer URLs built from a tenant id."""
from __future__ import annotations

import re

from shared.platform.errors import SsoError
from shared.platform.settings import get_settings

MULTI_TENANT = "organizations"  # a connection's entra_tenant_id for a multi-tenant app
CONSUMER_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"  # personal Microsoft accounts
# Authorities of Sign in with Microsoft for any account (shared/signin/microsoft_sign_in.py), never a connection's tenant.
ANY_ACCOUNT_AUTHORITIES = ("common", "consumers")

_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_tenant_guid(value: object) -> bool:
    return isinstance(value, str) and _GUID.fullmatch(value) is not None


def normalize_tenant(tenant: str, *, any_account: bool = False) -> str:
    """A connection's tenant as used in URLs: a lowercase GUID or `organizations` (and, only for
    Sign in with Microsoft for any account, `common` or `consumers`).

    Anything else is refused before it reaches a URL path (no `..`, `/` or `?` smuggling)."""
    lowered = tenant.strip().lower() if isinstance(tenant, str) else ""
    if lowered == MULTI_TENANT or (any_account and lowered in ANY_ACCOUNT_AUTHORITIES) or is_tenant_guid(lowered):
        return lowered
    raise SsoError("tenant_not_found", "The Entra tenant ID must be the Directory (tenant) ID, a GUID, or 'organizations' for a multi-tenant app.")


def authority_url(tenant: str, *, any_account: bool = False) -> str:
    return f"{get_settings().entra_authority_host}/{normalize_tenant(tenant, any_account=any_account)}"


def issuer_for(tenant_id: str) -> str:
    """The one issuer Entra's v2.0 endpoint uses for ID tokens of that tenant (a GUID, never a template)."""
    if not is_tenant_guid(tenant_id):
        raise ValueError("an issuer is built only for a tenant GUID")
    return f"{get_settings().entra_authority_host}/{tenant_id}/v2.0"
