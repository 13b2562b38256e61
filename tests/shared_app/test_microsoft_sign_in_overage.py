"""Sign in with Microsoft resolves a groups overage as an organization's sign-in does (the same
code, group_overage.resolve_groups): Graph page by page with the sign-in's delegated token, the
shared app's own token where the delegated one cannot, and Graph failing gives groups_source
"unavailable" with an event in GET /api/microsoft-sign-in/events, never a failed sign-in."""
from __future__ import annotations

import pytest

from local.entra_sim.shared_app import SHARED_APP_CLIENT_ID
from tests.shared_app.helpers import customer_tenant
from tests.shared_app.test_microsoft_sign_in import _profile, _sign_in
from tests.shared_app.test_overage_app_token import GROUPS, no_delegated_graph_permission


@pytest.fixture
def many(stack, microsoft):
    """Sign in with Microsoft (`organizations`) and a new tenant with a user in GROUPS groups,
    whose admin consented to the shared app (delegated and application permissions)."""
    microsoft("organizations")
    tenant = customer_tenant(stack, name="Overage")
    user = stack.simulator.add_user(tenant["id"], {"upn": f"many@{tenant['domain']}", "name": "Many", "extra_group_count": GROUPS})
    stack.simulator.grant_consent(SHARED_APP_CLIENT_ID, tenant["id"])
    groups = list(stack.simulator.directory.tenant(tenant["id"]).users[user["oid"]].groups)
    return {"tenant": tenant, "username": f"many@{tenant['domain']}", "groups": groups}


def _overage_events(admin, user_id: str) -> list[dict]:
    items = admin.get("/api/microsoft-sign-in/events", params={"limit": 100}).json()["items"]
    return [e for e in items if e["type"] == "groups_overage_unavailable" and e["detail"]["user"] == user_id]


def test_the_groups_are_read_from_graph_across_pages(stack, browser, many):
    profile = _profile(stack, _sign_in(browser, stack, many["username"]))
    assert len(many["groups"]) == GROUPS
    assert profile["organization"] is None and profile["groups_overage"] is True and profile["groups_source"] == "graph"
    assert profile["groups"] == many["groups"]


def test_without_a_delegated_permission_the_shared_apps_own_token_reads_them(stack, browser, many):
    with no_delegated_graph_permission(stack):
        profile = _profile(stack, _sign_in(browser, stack, many["username"]))
    assert profile["groups_source"] == "graph" and profile["groups"] == many["groups"]


@pytest.mark.parametrize("fault", [503, "garbage"])
def test_graph_down_signs_in_without_groups_and_records_why(stack, admin, browser, many, fault):
    stack.simulator.fail_graph(fault, times=1)
    profile = _profile(stack, _sign_in(browser, stack, many["username"]))
    assert profile["groups_overage"] is True and profile["groups_source"] == "unavailable" and profile["groups"] == []
    [event] = _overage_events(admin, profile["id"])
    assert event["outcome"] == "warning" and event["connection"] == "microsoft" and "Graph" in event["detail"]["reason"]


def test_a_tenant_whose_users_consented_for_themselves_grants_the_app_no_groups(stack, admin, browser, many):
    """A user's own consent grants no application permission: the shared app's token is refused."""
    stack.simulator.revoke_consent(SHARED_APP_CLIENT_ID, many["tenant"]["id"])
    stack.simulator.grant_consent(SHARED_APP_CLIENT_ID, many["tenant"]["id"], admin=False)
    with no_delegated_graph_permission(stack):
        profile = _profile(stack, _sign_in(browser, stack, many["username"]))
    assert profile["groups_source"] == "unavailable"
    [event] = _overage_events(admin, profile["id"])
    assert "GroupMember.Read.All" in event["detail"]["reason"]
