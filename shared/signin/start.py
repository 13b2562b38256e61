"""Starting a sign-in: which connection, is the app's redirect URI allowed, and the login state.

`GET /auth/sso/start` names exactly one of `connection`, `organization` (its default
connection) or `email` (home realm discovery). Every check here happens before any redirect:
an app's `redirect_uri` that is not on the org's list never receives anything.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from shared.orgs import connections, organizations
from shared.signin import logins
from shared.platform import validation as v
from shared.orgs.connection_status import refuse_unusable
from shared.platform.errors import SsoError
from shared.platform.observability import set_request_organization
from shared.orgs.regions import UnknownOrganization

MAX_APP_STATE = 512
PROMPTS = ("login", "select_account", "consent", "none")


@dataclass(frozen=True)
class Target:
    organization: dict
    connection: dict


def enabled_connection(org: dict, connection_id: str | None = None) -> dict:
    """The named connection of `org`, else its default, else its only enabled one."""
    if connection_id is None:
        connection_id = org.get("default_connection")
    if connection_id is None:
        enabled = [doc for doc in connections.list_for(org["id"]) if doc.get("enabled")]
        if len(enabled) != 1:
            raise SsoError("no_sso_connection", "The organization has " + ("no enabled connection" if not enabled else "several enabled connections and no `default_connection`") + "; set `default_connection` or name the connection.")
        return enabled[0]
    stored = connections.get_cached(connection_id)
    if stored is None or stored.doc["organization"] != org["id"]:
        raise SsoError("unknown_connection")
    return stored.doc


def _organization(slug: str) -> dict:
    stored = organizations.get_cached(slug)
    if stored is None:
        raise UnknownOrganization("unknown_organization", slug)
    set_request_organization(slug)
    return stored.doc


def resolve_target(params: Mapping[str, str]) -> Target:
    named = [name for name in ("connection", "organization", "email") if params.get(name)]
    if len(named) != 1:
        raise SsoError("invalid_request", "Give exactly one of `connection`, `organization` or `email`.")
    if named[0] == "connection":
        stored = connections.get_cached(params["connection"])
        if stored is None:
            raise SsoError("unknown_connection")
        org = _organization(stored.doc["organization"])
        connection = stored.doc
    elif named[0] == "organization":
        org = _organization(params["organization"])
        connection = enabled_connection(org)
    else:
        from shared.policy.domains import route_email

        routed = route_email(v.email("email", params["email"]))
        if routed is None:
            raise SsoError("no_sso_connection", "No organization uses SSO for this email's domain; sign in with a password.")
        org = _organization(routed.organization)
        connection = enabled_connection(org, routed.connection)
    if not connection.get("enabled"):
        raise SsoError("connection_disabled")
    refuse_unusable(connection)
    if "sso" not in org.get("allowed_sign_in_methods", ()):
        raise SsoError("sso_not_allowed")
    return Target(org, connection)


def live_target(organization: str, connection_id: str, *, test: bool = False) -> Target:
    """The org and connection of a sign-in being completed, checked again as `resolve_target`
    checked them at its start: a connection deleted or disabled (or an org that stopped allowing
    SSO) while the user was at Entra ends the sign-in there. Both endings (the OIDC callback and
    the SAML ACS) call this, so they refuse the same things. An admin's test sign-in issues no
    code and may try a connection before it is enabled: it needs only both to exist."""
    stored_org = organizations.get_cached(organization)
    stored = connections.get_cached(connection_id)
    if stored_org is None or stored is None or stored.doc["organization"] != organization:
        raise SsoError("unknown_connection", "The connection or organization of this sign-in was deleted.")
    refuse_unusable(stored.doc)
    if test:
        return Target(stored_org.doc, stored.doc)
    if not stored.doc.get("enabled"):
        raise SsoError("connection_disabled", "The connection was disabled during this sign-in; enable it or use another connection.")
    if "sso" not in stored_org.doc.get("allowed_sign_in_methods", ()):
        raise SsoError("sso_not_allowed")
    return Target(stored_org.doc, stored.doc)


def checked_redirect_uri(org: dict, redirect_uri: str | None) -> str:
    """Exact string match against the org's list: no prefix, no normalisation, no wildcard."""
    if not redirect_uri or redirect_uri not in org.get("redirect_uris", ()):
        raise SsoError("invalid_redirect_uri", f"`redirect_uri` must exactly equal one of organization {org['id']!r}'s `redirect_uris`; add it with PATCH /api/organizations/{org['id']}.")
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
    state = logins.new_state(target.organization["id"])
    login = {"connection": target.connection["id"], "protocol": target.connection["protocol"], "redirect_uri": redirect_uri,
             "app_state": options["app_state"], "test": test}
    if target.connection["protocol"] == "oidc":
        from shared.signin.oidc_ending import authorization_request

        url, protocol_state = authorization_request(target.connection, state, options)
    else:
        from shared.signin.saml_ending import authn_request

        url, protocol_state = authn_request(target.connection, state, options)
    logins.start(state, {**login, **protocol_state})
    return url
