"""Sign in with Microsoft for any account, through the stamp's shared app: no organization.

Start (`GET /auth/sso/start?provider=microsoft`): enabled, the app's redirect URI exactly on the
setting's list; a login in the `~microsoft` partition; MSAL's authorization request at the tenant
type's authority. Callback: the ID token verified for its own tid (shared/oidc/any_account.py:
a personal account refused by `organizations`, a work account by `consumers`, another tenant by a
pinned one), then, before any code, the enforced SSO of organizations: an email of a domain an
organization verified and requires SSO for is sent to that organization's sign-in instead, so
the social connection cannot go round it. The profile is keyed by (tid, oid), `organization`
null. `email_verified` only where Microsoft vouches for the address: the `email` claim of a work
account with `xms_edov` true, or of a personal Microsoft account (Microsoft documents an MSA's
email as domain-owner verified); never `preferred_username`, never `email` alone. A groups
overage is resolved as an organization's is (group_overage.py, the shared app's fallback
included); with no organization to choose otherwise, Graph failing never fails the sign-in.
"""
from __future__ import annotations

from typing import Mapping
from urllib.parse import urlencode

from shared.oidc import any_account, entra_client
from shared.oidc.entra_tenant import CONSUMER_TENANT_ID
from shared.orgs import events, organizations
from shared.platform.errors import SsoError
from shared.platform.observability import log_sign_in
from shared.platform.settings import get_settings
from shared.policy.domains import route_email
from shared.policy.sign_in_policy import policy_for
from shared.shared_app import app as shared_app
from shared.shared_app import sign_in_settings
from shared.shared_app.sign_in_settings import CONNECTION, PARTITION
from shared.signin import group_overage, logins
from shared.signin.outcome import CodeRedirect, Elsewhere, ErrorRedirect, Outcome
from shared.signin.profile import oidc_profile
from shared.storage import tables


def _registration(tenant_type: str):
    return shared_app.registration(CONNECTION, tenant_type, any_account=True)


def begin(params: Mapping[str, str], options: dict) -> str:
    if params.get("provider") != "microsoft" or any(params.get(name) for name in ("connection", "organization", "email")):
        raise SsoError("invalid_request", "`provider` is `microsoft`, and then none of `connection`, `organization` or `email`.")
    setting = sign_in_settings.current()
    if not setting.enabled:
        raise SsoError("microsoft_sign_in_disabled")
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri or redirect_uri not in setting.redirect_uris:
        raise SsoError("invalid_redirect_uri", "`redirect_uri` must exactly equal one of the `redirect_uris` of PUT /api/microsoft-sign-in.")
    state = logins.new_state(PARTITION)
    flow, url = entra_client.start_auth_code_flow(_registration(setting.tenant_type), scopes="openid profile email",
                                                  login_hint=options["login_hint"], prompt=options["prompt"], state=state)
    logins.start(state, connection=CONNECTION, protocol="oidc", redirect_uri=redirect_uri, app_state=options["app_state"],
                 test=False, flow=flow, consent_tenant=None, tenant_type=setting.tenant_type)
    return url


def _email_domain(claims: Mapping) -> list[str]:
    email = claims.get("email")
    return [email.rpartition("@")[2].lower()] if isinstance(email, str) and "@" in email else []


def _enforced_elsewhere(email: str | None, login: logins.Login) -> Elsewhere | None:
    """The organization's own sign-in when the email's domain is one it verified and requires SSO for."""
    routed = route_email(email) if email else None
    stored = organizations.get_cached(routed.organization) if routed else None
    if stored is None or not policy_for(stored.doc, email)["sso_required"]:
        return None
    query = urlencode({"email": email, "redirect_uri": login.redirect_uri, "state": login.app_state})
    return Elsewhere(f"{get_settings().public_base_url}/auth/sso/start?{query}", stored.doc.id)


def finish(login: tables.Stored[logins.Login], params: Mapping[str, str]) -> Outcome:
    doc = login.doc
    tenant_type = doc.tenant_type
    try:
        registration = _registration(tenant_type)
        token = entra_client.finish_auth_code_flow(registration, doc.flow, params)
        claims = any_account.validate(token.id_token, client_id=registration.client_id, tenant_type=tenant_type, nonce=token.nonce)
        personal = claims["tid"] == CONSUMER_TENANT_ID
        profile, email = oidc_profile(claims, organization=None, connection_id=CONNECTION, verified_domains=_email_domain(claims),
                                      own_single_tenant_app=personal)
        elsewhere = _enforced_elsewhere(email.email, doc)
        if elsewhere:
            events.record(PARTITION, "sign_in", connection=CONNECTION, outcome="redirected",
                          detail={"organization": elsewhere.organization, "reason": "sso_enforced"})
            return elsewhere
        profile, overage_events = group_overage.resolve_groups(profile, token, connection_id=CONNECTION,
                                                               shared_app=lambda: registration, fail=False)
        event = logins.sign_in_event(doc, outcome="ok", detail={"user": profile["id"], "idp_id": profile["idp_id"],
                                                                 "entra_tenant_id": profile["entra_tenant_id"]})
        code = logins.issue_code(login, profile, event, overage_events)
    except SsoError as err:
        if err.code == "invalid_state":
            raise  # the winner of a race for this login answered
        shown = err if err.status < 500 else SsoError("temporarily_unavailable", detail={"cause": err.code})
        try:
            events.record(PARTITION, "sign_in", connection=CONNECTION, outcome="failed", error=shown.code,
                          detail={"message": shown.message, **{k: v for k, v in shown.detail.items() if k == "cause"}})
        except SsoError:
            pass
        log_sign_in("failed", shown.code, "oidc")
        return ErrorRedirect(doc.redirect_uri, shown, doc.app_state)
    log_sign_in("ok", None, "oidc")
    return CodeRedirect(doc.redirect_uri, code, doc.app_state)
