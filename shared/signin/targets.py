"""Which organization and connection a sign-in is for, and whether they may be used: looked up
when it starts (`resolve_target`) and checked again when it ends (`live_target`).

`GET /auth/sso/start` names exactly one of `connection`, `organization` (its default
connection) or `email` (home realm discovery).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from shared.orgs import connections, organizations
from shared.orgs.connection_status import refuse_unusable
from shared.orgs.records import Connection, Organization
from shared.orgs.regions import UnknownOrganization
from shared.platform import validation as v
from shared.platform.errors import SsoError
from shared.platform.observability import set_request_organization
from shared.policy.domains import route_email


@dataclass(frozen=True)
class Target:
    organization: Organization
    connection: Connection


def _enabled(connection: Connection) -> bool:
    # A record without `enabled` (none is written so today) was treated as disabled: still is.
    return connection.has("enabled") and connection.enabled


def _allows_sso(org: Organization) -> bool:
    return org.has("allowed_sign_in_methods") and "sso" in org.allowed_sign_in_methods


def enabled_connection(org: Organization, connection_id: str | None = None) -> Connection:
    """The named connection of `org`, else its default, else its only enabled one."""
    if connection_id is None:
        connection_id = org.default_connection
    if connection_id is None:
        enabled = [connection for connection in connections.list_for(org.id) if _enabled(connection)]
        if len(enabled) != 1:
            raise SsoError("no_sso_connection", "The organization has " + ("no enabled connection" if not enabled else "several enabled connections and no `default_connection`") + "; set `default_connection` or name the connection.")
        return enabled[0]
    stored = connections.get_cached(connection_id)
    if stored is None or stored.doc.organization != org.id:
        raise SsoError("unknown_connection")
    return stored.doc


def _organization(slug: str) -> Organization:
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
        org = _organization(stored.doc.organization)
        connection = stored.doc
    elif named[0] == "organization":
        org = _organization(params["organization"])
        connection = enabled_connection(org)
    else:
        routed = route_email(v.email("email", params["email"]))
        if routed is None:
            raise SsoError("no_sso_connection", "No organization uses SSO for this email's domain; sign in with a password.")
        org = _organization(routed.organization)
        connection = enabled_connection(org, routed.connection)
    if not _enabled(connection):
        raise SsoError("connection_disabled")
    refuse_unusable(connection)
    if not _allows_sso(org):
        raise SsoError("sso_not_allowed")
    return Target(org, connection)


def live_target(organization: str, connection_id: str, *, test: bool = False) -> Target:
    """The org and connection of a sign-in being completed, checked again as `resolve_target`
    checked them at its start: a connection deleted or disabled (or an org that stopped allowing
    SSO) while the user was at Entra ends the sign-in there. The one ending of both protocols
    (ending.py) calls this, so the OIDC callback and the SAML ACS refuse the same things. An admin's test sign-in issues no
    code and may try a connection before it is enabled: it needs only both to exist."""
    stored_org = organizations.get_cached(organization)
    stored = connections.get_cached(connection_id)
    if stored_org is None or stored is None or stored.doc.organization != organization:
        raise SsoError("unknown_connection", "The connection or organization of this sign-in was deleted.")
    refuse_unusable(stored.doc)
    if test:
        return Target(stored_org.doc, stored.doc)
    if not _enabled(stored.doc):
        raise SsoError("connection_disabled", "The connection was disabled during this sign-in; enable it or use another connection.")
    if not _allows_sso(stored_org.doc):
        raise SsoError("sso_not_allowed")
    return Target(stored_org.doc, stored.doc)
