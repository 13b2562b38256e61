"""A groups overage is resolved through Microsoft Graph (the simulator's), page by page; Graph
down or answering garbage gives a sign-in with groups_source "unavailable" and an event, or,
where the organization asks for it, a failed sign-in."""
from __future__ import annotations

import uuid

import pytest

from tests.conftest import ApiClient
from tests.flows.helpers import create_oidc_connection, oidc_sign_in, query, register_oidc_app


@pytest.fixture
def overage(stack, admin, new_org):
    """An org whose connection's tenant has `many` (251 groups: three Graph pages of 100)."""
    tenant_id = str(uuid.uuid4())
    domain = f"ov-{tenant_id[:8]}.example"
    stack.simulator.add_tenant({"id": tenant_id, "name": "Overage", "domains": [domain], "users": [
        {"upn": f"many@{domain}", "name": "Many Groups", "email": f"many@{domain}", "xms_edov": True, "extra_group_count": 251}]})
    org = new_org()
    connection = create_oidc_connection(admin, org, register_oidc_app(stack, tenant_id))
    user = next(iter(stack.simulator.directory.tenant(tenant_id).users.values()))
    key = admin.post("/api/api-keys", json={"organization": org, "name": "b"}).json()["key"]
    return {"org": org, "connection": connection, "username": f"many@{domain}", "groups": list(user.groups),
            "backend": ApiClient(stack.base_url, key)}


def _profile(overage, answer) -> dict:
    params = query(answer.headers["Location"])
    assert "code" in params, params
    return overage["backend"].post("/api/sso/token", json={"code": params["code"]}).json()["profile"]


def test_groups_are_read_from_graph_across_pages(stack, browser, overage):
    assert len(overage["groups"]) == 251
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


def test_more_groups_than_a_profile_carries_are_reported_unavailable(stack, admin, browser, new_org):
    tenant_id = str(uuid.uuid4())
    domain = f"ov-{tenant_id[:8]}.example"
    stack.simulator.add_tenant({"id": tenant_id, "name": "Huge", "domains": [domain], "users": [
        {"upn": f"huge@{domain}", "name": "Huge", "extra_group_count": 700}]})
    org = new_org()
    connection = create_oidc_connection(admin, org, register_oidc_app(stack, tenant_id))
    key = admin.post("/api/api-keys", json={"organization": org, "name": "b"}).json()["key"]
    answer = oidc_sign_in(browser, stack, f"huge@{domain}", connection=connection["id"])
    profile = ApiClient(stack.base_url, key).post("/api/sso/token", json={"code": query(answer.headers["Location"])["code"]}).json()["profile"]
    assert profile["groups_source"] == "unavailable"
    event = next(e for e in admin.get(f"/api/organizations/{org}/events").json()["items"] if e["type"] == "groups_overage_unavailable")
    assert "600 groups" in event["detail"]["reason"]
