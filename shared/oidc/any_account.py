"""ID tokens of Sign in with Microsoft for any account (the shared app at `common`,
`organizations`, `consumers` or one tenant): the generic checks, with the issuer built for the
token's own `tid` once the tenant type admits that tid. The discovery document's `{tenantid}`
template is never used: every tenant's tokens are signed by the same keys, so the tid rule and
the issuer built from it are what tell tenants apart."""
from __future__ import annotations

import time

from shared.oidc import id_token
from shared.oidc.discovery import provider_metadata
from shared.oidc.entra_tenant import CONSUMER_TENANT_ID, is_tenant_guid, issuer_for
from shared.oidc.id_token import Jwt
from shared.oidc.jwks import signing_key
from shared.platform.errors import SsoError

TENANT_TYPES = ("common", "organizations", "consumers")  # or one tenant GUID


def check_tenant_type(token: Jwt, tenant_type: str) -> str:
    tid = id_token.required_claim(token.claims, "tid")
    if not is_tenant_guid(tid):
        raise SsoError("id_token_wrong_tenant", "The ID token's 'tid' claim is not an Entra tenant ID.")
    personal = tid == CONSUMER_TENANT_ID
    if tenant_type == "organizations" and personal:
        raise SsoError("personal_account_not_allowed")
    if tenant_type == "consumers" and not personal:
        raise SsoError("work_account_not_allowed")
    if tenant_type not in TENANT_TYPES and tid != tenant_type:
        raise SsoError("id_token_wrong_tenant", f"Only accounts of Entra tenant {tenant_type} may sign in here; this one is of another tenant.")
    return f"tenant {tid} is admitted by {tenant_type}"


def validate(token: str, *, client_id: str, tenant_type: str, nonce: str, now: float | None = None) -> dict:
    now = time.time() if now is None else now
    leeway = id_token.LEEWAY_SECONDS
    checks = [
        ("algorithm", id_token.check_algorithm),
        ("signature", lambda t: id_token.check_signature(t, lambda kid: signing_key(provider_metadata(tenant_type, any_account=True).jwks_uri, kid))),
        ("tenant", lambda t: check_tenant_type(t, tenant_type)),
        ("issuer", lambda t: id_token.check_issuer(t, issuer_for(t.claims["tid"]))),
        ("audience", lambda t: id_token.check_audience(t, client_id)),
        ("expiry", lambda t: id_token.check_expiry(t, now, leeway)),
        ("not_before", lambda t: id_token.check_not_before(t, now, leeway)),
        ("issued_at", lambda t: id_token.check_issued_at(t, now, leeway)),
        ("nonce", lambda t: id_token.check_nonce(t, nonce)),
        ("user", lambda t: id_token.check_present(t, ("sub", "oid"))),  # the profile's key is (tid, oid)
    ]
    return id_token.validate(token, checks)
