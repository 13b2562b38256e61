"""Tokens shaped like Entra's v2.0 ones, signed RS256 by the current signing key.

ID token claims follow Microsoft's ID token claims reference: `sub` is pairwise (per app,
stable), `email` and `xms_edov` appear only as optional claims the app asked for, `groups` only
when the app has groups claims on, and past 200 groups the overage form points at Graph."""

import hashlib
import json
import secrets
import time
import uuid

import jwt

from . import pki
from .directory import JWT_GROUPS_LIMIT, MEMBER_ROLE, App, Tenant, User
from .signing_keys import SigningKeys

ID_TOKEN_LIFETIME = 3600
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


def issuer(authority: str, tenant_id: str) -> str:
    return f"{authority}/{tenant_id}/v2.0"


def pairwise_sub(client_id: str, tenant_id: str, oid: str) -> str:
    """Stable for one user and one app, different across apps, 43 base64url chars like Entra's.
    Derived without a secret so it survives simulator restarts."""
    return pki.b64url(hashlib.sha256(f"{client_id}|{tenant_id}|{oid}".encode()).digest())


def _opaque(n: int = 16) -> str:
    return pki.b64url(secrets.token_bytes(n))


def _sign(claims: dict, keys: SigningKeys) -> str:
    key = keys.current
    return jwt.encode(claims, key.key, algorithm="RS256",
                      headers={"typ": "JWT", "kid": key.x5t})


def id_token(*, authority: str, app: App, tenant: Tenant, user: User, nonce: str | None,
             keys: SigningKeys, session_id: str) -> str:
    now = int(time.time())
    claims = {"aud": app.client_id, "iss": issuer(authority, tenant.id), "iat": now,
              "nbf": now, "exp": now + ID_TOKEN_LIFETIME}
    if "email" in app.optional_claims and user.email:
        claims["email"] = user.email
    if app.groups_claim:
        if len(user.groups) > JWT_GROUPS_LIMIT:
            claims["_claim_names"] = {"groups": "src1"}
            claims["_claim_sources"] = {"src1": {"endpoint": (
                f"https://graph.microsoft.com/v1.0/users/{user.oid}/getMemberObjects")}}
        else:
            claims["groups"] = list(user.groups)
    if user.home_tenant_id:  # guests: the identity provider that authenticated them
        claims["idp"] = f"https://sts.windows.net/{user.home_tenant_id}/"
    claims.update({"name": user.name, "oid": user.oid,
                   "preferred_username": user.preferred_username,
                   "rh": f"0.{_opaque(32)}.", "sid": session_id,
                   "sub": pairwise_sub(app.client_id, tenant.id, user.oid), "tid": tenant.id,
                   "uti": _opaque(), "ver": "2.0"})
    if nonce is not None:
        claims["nonce"] = nonce
    if "xms_edov" in app.optional_claims and user.email:
        claims["xms_edov"] = user.email_domain_owner_verified
    if "wids" in app.optional_claims and user.user_type == "Member":
        claims["wids"] = [*user.roles, MEMBER_ROLE]
    if "acct" in app.optional_claims:
        claims["acct"] = 1 if user.user_type == "Guest" else 0
    return _sign(claims, keys)


GRAPH_RESOURCE = "https://graph.microsoft.com"
OIDC_SCOPES = ("openid", "profile", "email", "offline_access")


def granted_scopes(app: App, requested: list[str]) -> list[str]:
    """The scopes a user's access token holds, as Entra grants them: the OIDC scopes asked for,
    then the Graph permissions asked for (`X` or `https://graph.microsoft.com/X`) and those
    the registration lists (its static permissions, consented with it)."""
    oidc = [s for s in requested if s in OIDC_SCOPES]
    graph = [s.removeprefix(GRAPH_RESOURCE + "/") for s in requested if s not in OIDC_SCOPES and not s.endswith("/.default")]
    return oidc + sorted(set(graph) | app.delegated_permissions)


def access_token(*, app: App, tenant: Tenant, user: User | None, scope: str,
                 keys: SigningKeys) -> str:
    """A Microsoft Graph access token (v1.0 shape). Opaque to clients, as Graph tokens are.
    A user's (delegated) carries `scp`; an app's own (client credentials) carries `roles`: the
    application permissions its admin consent granted in `tenant`."""
    now = int(time.time())
    claims = {"aud": GRAPH_RESOURCE, "iss": f"https://sts.windows.net/{tenant.id}/",
              "iat": now, "nbf": now, "exp": now + ID_TOKEN_LIFETIME, "appid": app.client_id,
              "tid": tenant.id, "uti": _opaque(), "ver": "1.0",
              "oid": user.oid if user else str(uuid.uuid5(uuid.UUID(app.client_id), tenant.id))}
    if user:
        claims.update({"scp": scope, "upn": user.upn, "name": user.name})
    else:
        claims["roles"] = app.app_roles_in(tenant.id)
    return _sign(claims, keys)


def client_info(user: User, tenant: Tenant) -> str:
    """What Entra returns for `client_info=1` (MSAL asks for it to key its cache)."""
    return pki.b64url(json.dumps({"uid": user.oid, "utid": tenant.id}).encode())
