"""A groups overage resolved: the ID token says the user has more groups than fit (`_claim_names`
/ `hasgroups`), so the profile's groups are read from Microsoft Graph (shared/oidc/graph_groups.py)
with the sign-in's own delegated token, or, for a one-click connection without one, the shared
app's token in the user's tenant (it is admin-consented there).

The profile says where its groups came from: `groups_source` `graph`, or `unavailable` when
Graph could not answer (an event records why) and the org keeps signing in without them, its
default; an org with `groups_overage_unavailable: "fail"` refuses the sign-in instead
(`groups_unavailable`, shown to the app as temporarily_unavailable).
"""
from __future__ import annotations

from shared.oidc import entra_client, graph_groups
from shared.oidc.entra_client import TokenResponse
from shared.orgs import events
from shared.orgs.credentials import registration
from shared.orgs.records import Connection, Organization
from shared.platform.errors import SsoError
from shared.storage import tables

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def _groups(token: TokenResponse, connection: Connection, profile: dict) -> list[str]:
    if token.access_token:
        return graph_groups.member_groups(token.access_token)
    if connection.app == "shared":
        try:
            app_token = entra_client.app_token(registration(connection), profile["entra_tenant_id"], GRAPH_SCOPE)
        except SsoError as err:
            raise graph_groups.GraphUnavailable(f"no app token for Graph ({err.code})") from None
        return graph_groups.member_groups(app_token, profile["idp_id"])
    raise graph_groups.GraphUnavailable("the sign-in got no Graph token: add User.Read and GroupMember.Read.All to the connection's scopes")


def resolve(profile: dict, token: TokenResponse, org: Organization, connection: Connection) -> tuple[dict, list[tables.Op]]:
    """The profile with its groups read from Graph, and the events its commit must add."""
    if not profile["groups_overage"]:
        return profile, []
    try:
        groups = _groups(token, connection, profile)
    except graph_groups.GraphUnavailable as err:
        if org.groups_overage_unavailable == "fail":
            raise SsoError("groups_unavailable", detail={"reason": err.reason}) from None
        event = events.event_op("groups_overage_unavailable", connection=connection.id, outcome="warning",
                                detail={"reason": err.reason, "user": profile["id"]})
        return {**profile, "groups_source": "unavailable"}, [event]
    return {**profile, "groups": groups, "groups_source": "graph"}, []
