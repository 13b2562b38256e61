"""Entra's ID-token rules on top of the generic checks, and the entry points the handlers call.

The issuer is never taken from a discovery document's `{tenantid}` template or from the token:
for a single-tenant connection it is built from the connection's own tenant; for a multi-tenant
connection (`organizations`) the token's `tid` must first be in `allowed_tenant_ids`, and only
then is the issuer built for that tid. Entra signs every tenant's tokens with the same keys, so
without these two checks a token from any tenant would pass the signature check.
"""
from __future__ import annotations

import time
from typing import Iterable

from shared.oidc import id_token
from shared.oidc.discovery import provider_metadata
from shared.oidc.entra_tenant import CONSUMER_TENANT_ID, MULTI_TENANT, is_tenant_guid, issuer_for, normalize_tenant
from shared.oidc.id_token import Check, CheckResult, Jwt
from shared.oidc.jwks import signing_key
from shared.platform.errors import SsoError


def check_tenant(token: Jwt, entra_tenant_id: str, allowed_tenant_ids: frozenset[str]) -> str:
    tid = id_token.required_claim(token.claims, "tid")
    if not is_tenant_guid(tid):
        raise SsoError("id_token_wrong_tenant", "The ID token's 'tid' claim is not an Entra tenant ID.")
    if entra_tenant_id != MULTI_TENANT:
        if tid != entra_tenant_id:
            raise SsoError("id_token_wrong_tenant", f"The user signed in to another Entra tenant than {entra_tenant_id}; check the connection's Entra tenant ID.")
        return f"tenant is {entra_tenant_id}"
    if tid not in allowed_tenant_ids:
        if tid == CONSUMER_TENANT_ID:
            raise SsoError("tenant_not_allowed", "Personal Microsoft accounts are not allowed; add the consumer tenant to allowed_tenant_ids only if they should sign in.")
        raise SsoError("tenant_not_allowed", f"The user's Entra tenant {tid} is not in allowed_tenant_ids; add it if that organization should sign in.")
    return f"tenant {tid} is allowed"


def expected_issuer(token: Jwt, entra_tenant_id: str, allowed_tenant_ids: frozenset[str]) -> str:
    if entra_tenant_id != MULTI_TENANT:
        return issuer_for(entra_tenant_id)
    check_tenant(token, entra_tenant_id, allowed_tenant_ids)
    return issuer_for(token.claims["tid"])


def id_token_checks(*, client_id: str, entra_tenant_id: str, allowed_tenant_ids: Iterable[str], nonce: str,
                    now: float, leeway: float = id_token.LEEWAY_SECONDS) -> list[Check]:
    """The checks in the order `validate` runs them: the tenant before the issuer built from it."""
    tenant = normalize_tenant(entra_tenant_id)
    allowed = frozenset(t.lower() for t in allowed_tenant_ids)  # exact GUIDs: `common` or `*` match no tid
    return [
        ("algorithm", id_token.check_algorithm),
        ("signature", lambda t: id_token.check_signature(t, lambda kid: signing_key(provider_metadata(tenant).jwks_uri, kid))),
        ("tenant", lambda t: check_tenant(t, tenant, allowed)),
        ("issuer", lambda t: id_token.check_issuer(t, expected_issuer(t, tenant, allowed))),
        ("audience", lambda t: id_token.check_audience(t, client_id)),
        ("expiry", lambda t: id_token.check_expiry(t, now, leeway)),
        ("not_before", lambda t: id_token.check_not_before(t, now, leeway)),
        ("issued_at", lambda t: id_token.check_issued_at(t, now, leeway)),
        ("nonce", lambda t: id_token.check_nonce(t, nonce)),
        ("user", lambda t: id_token.check_present(t, ("sub", "oid"))),  # the user's key is (tid, oid)
    ]


def validate_id_token(token: str, *, client_id: str, entra_tenant_id: str, allowed_tenant_ids: Iterable[str] = (),
                      nonce: str, now: float | None = None) -> dict:
    """The verified claims of an ID token from the connection's app, or SsoError with the first failure."""
    checks = id_token_checks(client_id=client_id, entra_tenant_id=entra_tenant_id, allowed_tenant_ids=allowed_tenant_ids,
                             nonce=nonce, now=time.time() if now is None else now)
    return id_token.validate(token, checks)


def diagnose_id_token(token: str, *, client_id: str, entra_tenant_id: str, allowed_tenant_ids: Iterable[str] = (),
                      nonce: str, now: float | None = None) -> list[CheckResult]:
    """Every check's (name, passed, message, error), for the admin's test sign-in page."""
    checks = id_token_checks(client_id=client_id, entra_tenant_id=entra_tenant_id, allowed_tenant_ids=allowed_tenant_ids,
                             nonce=nonce, now=time.time() if now is None else now)
    return id_token.diagnose(token, checks)
