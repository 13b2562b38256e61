"""The OIDC sign-in with Entra: the authorization request and the stamp's one callback.

The callback finds its login by `state`, redeems Entra's code with MSAL (PKCE verifier from the
stored flow), verifies the ID token itself (shared/oidc/entra_id_token.py) and builds the
profile; the rest of the ending, shared with SAML, is ending.py's.
"""
from __future__ import annotations

from typing import Mapping

from shared.oidc import entra_client
from shared.oidc.entra_id_token import diagnose_id_token, validate_id_token
from shared.oidc.id_token import parse_jwt
from shared.orgs.credentials import registration
from shared.orgs.records import Connection
from shared.platform.errors import SsoError
from shared.shared_app.sign_in_settings import PARTITION
from shared.signin import consent, ending, group_overage, logins, microsoft_sign_in
from shared.signin.outcome import Outcome
from shared.signin.profile import oidc_profile
from shared.signin.targets import Target
from shared.storage import tables


def authorization_request(connection: Connection, state: str, options: dict) -> tuple[str, dict]:
    flow, url = entra_client.start_auth_code_flow(
        registration(connection), scopes=connection.scopes, login_hint=options["login_hint"], prompt=options["prompt"], state=state
    )
    return url, {"flow": flow}


def complete(params: Mapping[str, str]) -> Outcome:
    login = logins.read_pending(params.get("state"))
    if login.doc.protocol != "oidc":  # a SAML sign-in's RelayState (it is in the AuthnRequest URL)
        raise SsoError("invalid_state")
    if login.doc.consent_tenant:  # an admin proving a one-click connection's consent
        return consent.finish(login, params)
    if login.partition_key == PARTITION:  # Sign in with Microsoft for any account: no organization
        return microsoft_sign_in.finish(login, params)
    return ending.end(login, organization=login.partition_key, connection_id=login.doc.connection, protocol="oidc",
                      verify=lambda target, evidence: _verify(login, params, target, evidence))


def _verify(login: tables.Stored, params: Mapping[str, str], target: Target, evidence: ending.Evidence) -> ending.Verified:
    connection, org = target.connection, target.organization
    token = entra_client.finish_auth_code_flow(registration(connection), login.doc.flow, params)
    claims = _verified_claims(login, connection, token.id_token, token.nonce, evidence)
    profile, email_check = oidc_profile(
        claims, organization=org.id, connection_id=connection.id, verified_domains=org.verified_domains,
        own_single_tenant_app=connection.app != "shared" and connection.entra_tenant_id == claims.get("tid"),
    )
    profile, overage_events = group_overage.resolve(profile, token, org, connection)
    return ending.Verified(profile, email_check, tuple(overage_events))


def _validation_args(connection: Connection, nonce: str) -> dict:
    return {"client_id": connection.client_id, "entra_tenant_id": connection.entra_tenant_id,
            "allowed_tenant_ids": connection.allowed_tenant_ids, "nonce": nonce}


def _verified_claims(login: tables.Stored, connection: Connection, id_token: str, nonce: str, evidence: ending.Evidence) -> dict:
    """The ID token's verified claims; a test sign-in runs every check and keeps each result."""
    if not login.doc.test:
        evidence.received = validate_id_token(id_token, **_validation_args(connection, nonce))
        return evidence.received
    checks = diagnose_id_token(id_token, **_validation_args(connection, nonce))
    claims = parse_jwt(id_token).claims  # not a JWT at all: refused with nothing to show
    evidence.checks, evidence.received = checks, claims
    failed = next((c for c in checks if not c.passed), None)
    if failed:
        raise SsoError(failed.error, failed.message)
    return claims
