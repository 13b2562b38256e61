"""A groups overage resolved: the ID token says the user has more groups than fit (`_claim_names`
/ `hasgroups`), so the profile's groups are read from Microsoft Graph (shared/oidc/graph_groups.py).

Which token: the sign-in's own delegated one, when Entra granted it a permission that lists the
user's memberships (User.Read or higher). Without one, or when Graph refuses it, a sign-in
through the stamp's shared app (a one-click connection, or Sign in with Microsoft) uses the
shared app's own client-credentials token in the user's tenant (its managed-identity or
certificate assertion), which works where an admin consented to its application permission
GroupMember.Read.All. A customer's own app has no such fallback: its connection needs the scopes.

Both kinds of sign-in come through `resolve_groups`: an organization's (`resolve`) and Sign in
with Microsoft's (microsoft_sign_in.py). The profile says where its groups came from:
`groups_source` `graph`, or `unavailable` when Graph could not answer (an event records why) and
the sign-in goes on without them, the default; an org with `groups_overage_unavailable: "fail"`
refuses the sign-in instead (`groups_unavailable`, shown to the app as temporarily_unavailable).
"""
from __future__ import annotations

from typing import Callable

from shared.oidc import entra_client, graph_groups
from shared.oidc.entra_client import AppRegistration, TokenResponse
from shared.orgs import events
from shared.orgs.credentials import registration
from shared.orgs.records import Connection, Organization
from shared.platform.errors import SsoError
from shared.storage import tables

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
SharedApp = Callable[[], AppRegistration]  # the shared app's registration, built only when needed


def _app_token_groups(shared_app: SharedApp, profile: dict) -> list[str]:
    tenant = profile["entra_tenant_id"]
    try:
        app_token = entra_client.app_token(shared_app(), tenant, GRAPH_SCOPE)
    except SsoError as err:
        raise graph_groups.GraphUnavailable(f"the shared app got no token of its own in tenant {tenant} ({err.code}): {err.message}") from None
    try:
        return graph_groups.member_groups(app_token, profile["idp_id"])
    except graph_groups.GraphRefused as err:
        raise graph_groups.GraphRefused(
            f"{err.reason} for the shared app's own token in tenant {tenant}: an admin of that tenant grants admin consent "
            "to the shared app again, which includes its application permission GroupMember.Read.All") from None


def _groups(token: TokenResponse, shared_app: SharedApp | None, profile: dict) -> list[str]:
    if token.access_token and graph_groups.reads_own_groups(token.scope):
        try:
            return graph_groups.member_groups(token.access_token)
        except graph_groups.GraphRefused:
            if shared_app is None:
                raise
    if shared_app is not None:
        return _app_token_groups(shared_app, profile)
    raise graph_groups.GraphUnavailable("the sign-in got no Graph token that may list the user's groups: "
                                        "add User.Read and GroupMember.Read.All to the connection's scopes")


def resolve_groups(profile: dict, token: TokenResponse, *, connection_id: str, shared_app: SharedApp | None,
                   fail: bool) -> tuple[dict, list[tables.Op]]:
    """The profile with its groups read from Graph, and the events its commit must add
    (`shared_app`: the sign-in came through the shared app; `fail`: refuse rather than go on)."""
    if not profile["groups_overage"]:
        return profile, []
    try:
        groups = _groups(token, shared_app, profile)
    except graph_groups.GraphUnavailable as err:
        if fail:
            raise SsoError("groups_unavailable", detail={"reason": err.reason}) from None
        event = events.event_op("groups_overage_unavailable", connection=connection_id, outcome="warning",
                                detail={"reason": err.reason, "user": profile["id"]})
        return {**profile, "groups_source": "unavailable"}, [event]
    return {**profile, "groups": groups, "groups_source": "graph"}, []


def resolve(profile: dict, token: TokenResponse, org: Organization, connection: Connection) -> tuple[dict, list[tables.Op]]:
    """`resolve_groups` for a sign-in through an organization's connection."""
    shared_app = (lambda: registration(connection)) if connection.app == "shared" else None
    return resolve_groups(profile, token, connection_id=connection.id, shared_app=shared_app,
                          fail=org.groups_overage_unavailable == "fail")
