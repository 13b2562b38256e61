"""The provisioning routes of the /_sim control API, and the tenant changes provisioning carries.
What the client sends to a real SCIM endpoint is tests/directory/test_entra_provisioning.py."""
import socket
import uuid

import pytest


@pytest.fixture
def control(sim, http):
    def call(method, path, **kwargs):
        return http.request(method, f"{sim.authority}/_sim{path}", **kwargs)
    return call


@pytest.fixture
def tenant(sim):
    tid = str(uuid.uuid4())
    domain = f"p{tid[:8]}.example"
    group = str(uuid.uuid4())
    sim.add_tenant({"id": tid, "domains": [domain], "users": [{"upn": f"ann@{domain}", "name": "Ann", "groups": [group]}],
                    "groups": [{"id": group, "display_name": "Staff"}]})
    return {"id": tid, "domain": domain, "group": group}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


@pytest.mark.parametrize("spec, message", [
    ({"secret_token": "t"}, "tenant_url"),
    ({"tenant_url": "ftp://example/scim", "secret_token": "t"}, "tenant_url"),
    ({"tenant_url": "https://sso.example/scim/v2/d"}, "secret_token"),
    ({"tenant_url": "https://sso.example/scim/v2/d", "secret_token": "t", "external_id": "upn"}, "external_id"),
    ({"tenant_url": "https://sso.example/scim/v2/d", "secret_token": "t", "mappings": {}}, "unknown"),
])
def test_a_bad_job_is_a_400_that_names_the_setting(control, tenant, spec, message):
    answer = control("POST", f"/tenants/{tenant['id']}/provisioning/jobs", json=spec)
    assert answer.status_code == 400 and message in answer.json()["message"]


def test_the_job_view_never_shows_the_secret_token(control, tenant):
    token = "secret-" + uuid.uuid4().hex
    job = control("POST", f"/tenants/{tenant['id']}/provisioning/jobs",
                  json={"tenant_url": "https://sso.example/scim/v2/d?aadOptscim062020", "secret_token": token}).json()
    assert job["id"].startswith("scim.") and job["scim_compliant_flag"] is True and job["state"] == "not_started"
    assert token not in str(job) and token not in control("GET", f"/provisioning/jobs/{job['id']}").text


def test_an_unreachable_tenant_url_fails_test_connection_and_the_cycle_stops_at_its_first_lookup(control, tenant):
    url = f"http://127.0.0.1:{_closed_port()}/scim/v2/d"
    job = control("POST", f"/tenants/{tenant['id']}/provisioning/jobs", json={"tenant_url": url, "secret_token": "t"}).json()
    tested = control("POST", f"/provisioning/jobs/{job['id']}/test-connection").json()
    assert tested["ok"] is False and tested["status"] == 0 and "could not reach" in tested["detail"]
    cycle = control("POST", f"/provisioning/jobs/{job['id']}/cycles").json()
    assert cycle["counts"] == {"errors": 1} and cycle["requests"] == 2  # the user and group lookups, nothing written
    sent = control("GET", f"/provisioning/jobs/{job['id']}/requests", params={"cycle": 1}).json()["requests"]
    assert [(r["method"], r["path"]) for r in sent] == [("GET", "/Users"), ("GET", "/Groups")]


def test_users_and_groups_change_through_the_control_api(sim, control, tenant):
    tid, domain = tenant["id"], tenant["domain"]
    ann = sim.tenant_view(tid)["users"][0]["oid"]
    changed = control("PATCH", f"/tenants/{tid}/users/{ann}", json={"upn": f"anna@{domain}", "account_enabled": False})
    assert changed.status_code == 200 and changed.json()["upn"] == f"anna@{domain}" and changed.json()["account_enabled"] is False
    tenant_obj = sim.directory.tenant(tid)
    assert sim.directory.user_by_upn(tenant_obj, f"ann@{domain}") is None  # the old name is free again
    assert sim.directory.user_by_upn(tenant_obj, f"ANNA@{domain}").oid == ann
    bob = control("POST", f"/tenants/{tid}/users", json={"upn": f"ann@{domain}", "name": "Another Ann"}).json()["oid"]
    group = control("POST", f"/tenants/{tid}/groups", json={"display_name": "New", "members": [bob]}).json()
    control("PATCH", f"/tenants/{tid}/groups/{tenant['group']}", json={"display_name": "All staff", "add_members": [bob], "remove_members": [ann]})
    groups = {g["display_name"]: sorted(g["members"]) for g in sim.tenant_view(tid)["groups"]}
    assert groups == {"All staff": [bob], "New": [bob]}
    assert control("DELETE", f"/tenants/{tid}/groups/{group['id']}").status_code == 200
    assert control("DELETE", f"/tenants/{tid}/users/{bob}").status_code == 200
    assert {g["display_name"]: g["members"] for g in sim.tenant_view(tid)["groups"]} == {"All staff": []}
    assert control("PATCH", f"/tenants/{tid}/users/{bob}", json={"name": "x"}).status_code == 400
    assert control("PATCH", f"/tenants/{tid}/users/{ann}", json={"password": "x"}).status_code == 400
