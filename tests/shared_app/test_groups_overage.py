"""A groups overage is resolved through Microsoft Graph (the simulator's), page by page; Graph
down or answering garbage gives a sign-in with groups_source "unavailable" and an event, or,
where the organization asks for it, a failed sign-in."""
from __future__ import annotations

import uuid

import pytest

from tests.conftest import ApiClient
from tests.flows.helpers import create_oidc_connection, oidc_sign_in, query, register_oidc_app


def _overage_org(stack, admin, new_org, groups: int) -> dict:
    """An org whose connection's tenant has `many`, a user in `groups` groups."""
    tenant_id = str(uuid.uuid4())
    domain = f"ov-{tenant_id[:8]}.example"
    stack.simulator.add_tenant({"id": tenant_id, "name": "Overage", "domains": [domain], "users": [
        {"upn": f"many@{domain}", "name": "Many Groups", "email": f"many@{domain}", "xms_edov": True, "extra_group_count": groups}]})
    org = new_org()
    connection = create_oidc_connection(admin, org, register_oidc_app(stack, tenant_id))
    user = next(iter(stack.simulator.directory.tenant(tenant_id).users.values()))
    key = admin.post("/api/api-keys", json={"organization": org, "name": "b"}).json()["key"]
    return {"org": org, "connection": connection, "username": f"many@{domain}", "groups": list(user.groups),
            "backend": ApiClient(stack.base_url, key)}


@pytest.fixture
def overage(stack, admin, new_org):
    """1,201 groups: two Graph pages of 999, more than one 64 KiB stored property holds."""
    return _overage_org(stack, admin, new_org, 1201)


def _profile(overage, answer) -> dict:
    params = query(answer.headers["Location"])
    assert "code" in params, params
    return overage["backend"].post("/api/sso/token", json={"code": params["code"]}).json()["profile"]


def test_groups_are_read_from_graph_across_pages(stack, browser, overage):
    assert len(overage["groups"]) == 1201
    profile = _profile(overage, oidc_sign_in(browser, stack, overage["username"], connection=overage["connection"]["id"]))
    assert profile["groups_overage"] is True and profile["groups_source"] == "graph"
    assert profile["groups"] == overage["groups"]
    assert "groups" not in profile["raw_attributes"]  # the token itself had the overage pointer only


@pytest.mark.parametrize("fault", [503, "garbage"])
def test_graph_down_or_garbage_signs_in_without_groups_and_records_why(stack, admin, browser, overage, fault):
    stack.simulator.fail_graph(fault, times=1)
    profile = _profile(overage, oidc_sign_in(browser, stack, overage["username"], connection=overage["connection"]["id"]))
    assert profile["groups_overage"] is True and profile["groups_source"] == "unavailable" and profile["groups"] == []
    events = admin.get(f"/api/organizations/{overage['org']}/events").json()["items"]
    assert any(e["type"] == "groups_overage_unavailable" and e["outcome"] == "warning" for e in events)


def test_an_org_can_choose_to_fail_the_sign_in_instead(stack, admin, browser, overage):
    assert admin.patch(f"/api/organizations/{overage['org']}", json={"groups_overage_unavailable": "fail"}).status_code == 200
    stack.simulator.fail_graph(503, times=1)
    answer = oidc_sign_in(browser, stack, overage["username"], connection=overage["connection"]["id"])
    assert query(answer.headers["Location"])["error"] == "temporarily_unavailable"
    event = next(e for e in admin.get(f"/api/organizations/{overage['org']}/events").json()["items"] if e["type"] == "sign_in")
    assert event["detail"]["cause"] == "groups_unavailable"


def test_five_thousand_groups_reach_the_token_exchange(stack, browser, admin, new_org):
    """Entra's overage can be large: 5,000 groups (six Graph pages, a login row of seven
    properties) arrive whole in the profile the code is exchanged for, once."""
    many = _overage_org(stack, admin, new_org, 5000)
    answer = oidc_sign_in(browser, stack, many["username"], connection=many["connection"]["id"])
    code = query(answer.headers["Location"])["code"]
    exchanged = many["backend"].post("/api/sso/token", json={"code": code})
    assert exchanged.status_code == 200, exchanged.text
    profile = exchanged.json()["profile"]
    assert profile["groups_source"] == "graph" and len(profile["groups"]) == 5000 and profile["groups"] == many["groups"]
    again = many["backend"].post("/api/sso/token", json={"code": code})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_more_groups_than_a_profile_carries_are_reported_unavailable(stack, admin, browser, new_org):
    from shared.oidc.graph_groups import MAX_GROUPS

    huge = _overage_org(stack, admin, new_org, MAX_GROUPS + 1)
    answer = oidc_sign_in(browser, stack, huge["username"], connection=huge["connection"]["id"])
    profile = huge["backend"].post("/api/sso/token", json={"code": query(answer.headers["Location"])["code"]}).json()["profile"]
    assert profile["groups_source"] == "unavailable"
    event = next(e for e in admin.get(f"/api/organizations/{huge['org']}/events").json()["items"] if e["type"] == "groups_overage_unavailable")
    assert f"{MAX_GROUPS} groups" in event["detail"]["reason"]
