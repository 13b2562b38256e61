"""Starting a sign-in: is the app's redirect URI allowed, the options, and the login state.

Every check happens before any redirect: an app's `redirect_uri` that is not on the org's list
never receives anything. Which connection, and may it be used: targets.py.
"""
from __future__ import annotations

from typing import Mapping

from shared.orgs.records import Organization
from shared.platform.errors import SsoError
from shared.signin import logins
from shared.signin.oidc_ending import authorization_request
from shared.signin.saml_ending import authn_request
from shared.signin.targets import Target

MAX_APP_STATE = 512
PROMPTS = ("login", "select_account", "consent", "none")


def checked_redirect_uri(org: Organization, redirect_uri: str | None) -> str:
    """Exact string match against the org's list: no prefix, no normalisation, no wildcard."""
    if not redirect_uri or redirect_uri not in org.redirect_uris:
        raise SsoError("invalid_redirect_uri", f"`redirect_uri` must exactly equal one of organization {org.id!r}'s `redirect_uris`; add it with PATCH /api/organizations/{org.id}.")
    return redirect_uri


def checked_options(params: Mapping[str, str]) -> dict:
    app_state = params.get("state", "")
    if len(app_state) > MAX_APP_STATE:
        raise SsoError("invalid_request", f"`state` is longer than {MAX_APP_STATE} characters.")
    login_hint = params.get("login_hint") or None
    if login_hint is not None and (len(login_hint) > 256 or not login_hint.isprintable()):
        raise SsoError("invalid_request", "`login_hint` must be an email or user name of at most 256 characters.")
    prompt = params.get("prompt") or None
    if prompt is not None and prompt not in PROMPTS:
        raise SsoError("invalid_request", "`prompt` must be one of " + ", ".join(PROMPTS) + ".")
    return {"app_state": app_state, "login_hint": login_hint, "prompt": prompt}


def begin(target: Target, *, redirect_uri: str | None, options: dict, test: bool = False) -> str:
    """Stores the login state and answers the IdP URL to redirect the browser to."""
    state = logins.new_state(target.organization.id)
    login = {"connection": target.connection.id, "protocol": target.connection.protocol, "redirect_uri": redirect_uri,
             "app_state": options["app_state"], "test": test}  # the Login's fields the start knows
    begin_protocol = authorization_request if target.connection.protocol == "oidc" else authn_request
    url, protocol_state = begin_protocol(target.connection, state, options)
    logins.start(state, **login, **protocol_state)
    return url
