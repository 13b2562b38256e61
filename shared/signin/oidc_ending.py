"""The OIDC sign-in with Entra: the authorization request and the stamp's one callback.

The callback finds its login by `state`, redeems Entra's code with MSAL (PKCE verifier from the
stored flow), verifies the ID token itself (shared/oidc/entra_id_token.py), builds the profile,
applies the org's policy, and ends through sign_in_result.
"""
from __future__ import annotations

from typing import Mapping

import azure.functions as func

from shared.signin import logins
from shared.orgs.credentials import registration
from shared.platform.errors import SsoError
from shared.oidc import entra_client
from shared.oidc.entra_id_token import diagnose_id_token, validate_id_token
from shared.oidc.id_token import parse_jwt
from shared.signin.start import live_target
from shared.signin.result import email_domain_events, fail, succeed
from shared.storage import tables


def authorization_request(connection: dict, state: str, options: dict) -> tuple[str, dict]:
    flow, url = entra_client.start_auth_code_flow(
        registration(connection), scopes=connection["scopes"], login_hint=options["login_hint"], prompt=options["prompt"], state=state
    )
    return url, {"flow": flow}


def _validation_args(connection: dict, nonce: str) -> dict:
    return {"client_id": connection["client_id"], "entra_tenant_id": connection["entra_tenant_id"],
            "allowed_tenant_ids": connection.get("allowed_tenant_ids", ()), "nonce": nonce}


def _verified_claims(login: tables.Stored, connection: dict, id_token: str, nonce: str) -> tuple[dict, list]:
    """The ID token's verified claims; for a test sign-in also every check's result."""
    if not login.doc.get("test"):
        return validate_id_token(id_token, **_validation_args(connection, nonce)), []
    checks = diagnose_id_token(id_token, **_validation_args(connection, nonce))
    failed = next((c for c in checks if not c.passed), None)
    if failed:
        raise _DiagnosedFailure(checks, parse_jwt(id_token).claims, SsoError(failed.error, failed.message))
    return parse_jwt(id_token).claims, checks


class _DiagnosedFailure(Exception):
    def __init__(self, checks: list, claims: dict, error: SsoError):
        self.checks, self.claims, self.error = checks, claims, error


def complete(params: Mapping[str, str]) -> func.HttpResponse:
    from shared.signin.profile import oidc_profile
    from shared.policy.sign_in_policy import admit

    login = logins.read_pending(params.get("state"))
    if login.doc.get("protocol") != "oidc":  # a SAML sign-in's RelayState (it is in the AuthnRequest URL)
        raise SsoError("invalid_state")
    checks, claims, email_check = [], None, None
    try:
        target = live_target(login.partition_key, login.doc["connection"], test=bool(login.doc.get("test")))
        connection, org = target.connection, target.organization
        token = entra_client.finish_auth_code_flow(registration(connection), login.doc["flow"], params)
        claims, checks = _verified_claims(login, connection, token.id_token, token.nonce)
        profile, email_check = oidc_profile(
            claims, organization=org["id"], connection_id=connection["id"], verified_domains=org.get("verified_domains", ()),
            own_single_tenant_app=connection["entra_tenant_id"] == claims.get("tid"),
        )
        admit(org, connection, profile)
        extra = email_domain_events(org["id"], connection["id"], email_check)
    except _DiagnosedFailure as diagnosed:
        return fail(login, diagnosed.error, checks=diagnosed.checks, claims=diagnosed.claims)
    except SsoError as err:
        return fail(login, err, checks=checks, claims=claims, email=email_check)
    return succeed(login, profile, checks=checks, email=email_check, extra_ops=extra)
