"""The Entra simulator's provisioning client against the SaaS's SCIM service on the dev host:
Test Connection, a full initial cycle and incremental changes, in both of Entra's dialects, end
with the directory (read back through the SaaS's directory API) equal to the simulator's
tenant; and a deactivation there blocks that user's next sign-in."""
from __future__ import annotations

import secrets
import uuid

import pytest

from local.demo import CONTOSO as DEMO_CONTOSO
from local.demo import add_directory
from local.entra_sim.scim_shapes import scim_user_name
from tests.conftest import SECRET_WATCH, ApiClient
from tests.flows.helpers import CONTOSO, Browser, create_oidc_connection, oidc_sign_in, query, register_oidc_app

FLAG = "?aadOptscim062020"
PEOPLE = 105  # past one page (and one member PATCH) of 100


def new_directory(admin, org: str, **fields) -> dict:
    created = admin.post(f"/api/organizations/{org}/directories", json={"name": "Entra ID", **fields})
    assert created.status_code == 201, created.text
    directory = created.json()
    SECRET_WATCH.remember(directory["token"])
    return directory


def new_tenant(sim) -> dict:
    """A tenant of its own per test: PEOPLE members, a guest, a blocked user, three groups."""
    tid = str(uuid.uuid4())
    domain = f"t{tid[:8]}.example"
    everyone, core, empty = (str(uuid.uuid4()) for _ in range(3))
    users = [{"upn": f"person{i}@{domain}", "name": f"Person {i}", "given_name": f"P{i}", "family_name": "Tester",
              **({"email": f"person{i}@{domain}"} if i % 4 else {}),
              "groups": [everyone] + ([core] if i % 3 == 0 else [])} for i in range(PEOPLE)]
    users.append({"upn": f"ann_partner.example#EXT#@{domain}", "sign_in_name": "ann@partner.example", "name": "Ann (Partner)",
                  "email": "ann@partner.example", "user_type": "Guest", "groups": [core]})
    users.append({"upn": f"blocked@{domain}", "name": "Blocked", "account_enabled": False, "groups": [everyone]})
    sim.add_tenant({"id": tid, "name": f"Tenant {tid[:8]}", "domains": [domain], "users": users,
                    "groups": [{"id": everyone, "display_name": f"Everyone {tid[:8]}"},
                               {"id": core, "display_name": "R&D — Core"}, {"id": empty, "display_name": "Nobody yet"}]})
    return {"id": tid, "domain": domain, "everyone": everyone, "core": core, "empty": empty}


def start_job(stack, tenant: str, directory: dict, flag: bool, **spec) -> str:
    url = directory["scim_base_url"] + (FLAG if flag else "")
    return stack.simulator.create_provisioning_job(tenant, {"tenant_url": url, "secret_token": directory["token"], **spec})["id"]


def read_all(admin, path: str, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        page = admin.get(path, params={**params, "limit": 100, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        cursor = body["next"]
        if not cursor:
            return items


def read_feed(admin, path: str) -> list[dict]:
    """The event feed from its start: pages of `data` until one comes back short."""
    events, after = [], None
    while True:
        page = admin.get(path, params={"limit": 100, **({"after": after} if after else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        events += body["items"]
        after = body["next"]
        if len(body["items"]) < 100 or not after:
            return events


def tenant_state(sim, tenant: str, job: str) -> tuple[dict, dict]:
    """What the directory must hold: the users the job manages (by userName) and the groups
    (by name) with their members' userNames, straight from the simulator's tenant."""
    view = sim.tenant_view(tenant)
    linked = sim.provisioning_status(job)["linked"]["users"]
    by_oid = {u["oid"]: u for u in view["users"]}
    with sim.directory.lock:
        source = sim.directory.tenant(tenant).users
        users = {scim_user_name(source[oid].upn): {
            "first_name": source[oid].given_name, "last_name": source[oid].family_name,
            "emails": [source[oid].email] if source[oid].email else [], "active": source[oid].account_enabled,
            "groups": sorted(g["display_name"] for g in view["groups"] if oid in g["members"])} for oid in linked if oid in by_oid}
    groups = {g["display_name"]: sorted(scim_user_name(by_oid[o]["upn"]) for o in g["members"] if o in linked) for g in view["groups"]}
    return users, groups


def directory_state(admin, org: str, directory: str) -> tuple[dict, dict]:
    base = f"/api/organizations/{org}/directories/{directory}"
    users = {u["user_name"]: {"first_name": u["first_name"], "last_name": u["last_name"], "emails": [e["value"] for e in u["emails"]],
                              "active": u["active"], "groups": sorted(g["name"] for g in u["groups"])} for u in read_all(admin, base + "/users")}
    groups = {g["name"]: sorted(u["user_name"] for u in read_all(admin, base + "/users", group=g["id"])) for g in read_all(admin, base + "/groups")}
    return users, groups


def assert_in_step(stack, admin, org: str, directory: str, tenant: str, job: str) -> None:
    expected_users, expected_groups = tenant_state(stack.simulator, tenant, job)
    actual_users, actual_groups = directory_state(admin, org, directory)
    assert actual_users == expected_users
    assert actual_groups == expected_groups


@pytest.mark.parametrize("flag", [False, True], ids=["default", "aadOptscim062020"])
def test_a_full_cycle_leaves_the_directory_equal_to_the_tenant(stack, admin, new_org, flag):
    sim, org = stack.simulator, new_org()
    tenant, directory = new_tenant(sim), new_directory(admin, org)
    job = start_job(stack, tenant["id"], directory, flag)

    assert sim.test_provisioning_connection(job) == {"ok": True, "status": 200, "detail": None}
    cycle = sim.run_provisioning_cycle(job)
    assert cycle["errors"] == [] and cycle["counts"]["users_created"] == PEOPLE + 1, cycle
    assert cycle["counts"]["users_skipped"] == 1  # Entra does not provision a blocked user
    assert_in_step(stack, admin, org, directory["id"], tenant["id"], job)
    _, groups = directory_state(admin, org, directory["id"])
    assert len(groups[f"Everyone {tenant['id'][:8]}"]) == PEOPLE and groups["Nobody yet"] == []

    sent = sim.provisioning_requests(job)
    assert all(200 <= r["status"] < 300 for r in sent), [r for r in sent if r["status"] >= 300][:3]
    test_connection, user_probe, group_probe, *initial = sent
    for probe, path, attribute in ((test_connection, "/Users", "userName"), (user_probe, "/Users", "userName"),
                                   (group_probe, "/Groups", "displayName")):  # a random name, found by no one
        assert (probe["method"], probe["path"]) == ("GET", path) and probe["status"] == 200
        name, value = probe["query"][-1][1].split(" eq ")
        assert name == attribute and uuid.UUID(value.strip('"'))
    first_group = next(i for i, r in enumerate(initial) if r["path"].startswith("/Groups"))
    assert all(r["path"].startswith("/Users") for r in initial[:first_group])
    assert all(r["path"].startswith("/Groups") for r in initial[first_group:])
    for i, r in enumerate(initial):
        if r["method"] == "POST" and r["path"] == "/Users":  # each create follows its own lookup
            assert initial[i - 1]["query"] == [("filter", f'userName eq "{r["body"]["userName"]}"')]
        if r["method"] == "POST" and r["path"] == "/Groups":
            assert initial[i - 1]["query"] == [("excludedAttributes", "members"), ("filter", f'displayName eq "{_quoted(r["body"]["displayName"])}"')]
    member_patches = [r for r in initial if r["method"] == "PATCH"]
    sizes = sorted(len(r["body"]["Operations"][0]["value"]) for r in member_patches)
    assert max(sizes) == 100 and sum(sizes) == PEOPLE + len(groups["R&D — Core"])
    assert {r["body"]["Operations"][0]["op"] for r in member_patches} == {"add" if flag else "Add"}


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


@pytest.mark.parametrize("flag", [False, True], ids=["default", "aadOptscim062020"])
def test_incremental_changes_keep_the_directory_equal_to_the_tenant(stack, admin, new_org, flag):
    sim, org = stack.simulator, new_org()
    tenant, directory = new_tenant(sim), new_directory(admin, org)
    job = start_job(stack, tenant["id"], directory, flag)
    sim.run_provisioning_cycle(job)
    oids = {u["upn"]: u["oid"] for u in sim.tenant_view(tenant["id"])["users"]}
    domain = tenant["domain"]

    sim.update_user(tenant["id"], oids[f"person1@{domain}"], {"name": "Person One", "family_name": "Renamed", "email": f"one@{domain}"})
    sim.update_user(tenant["id"], oids[f"person2@{domain}"], {"account_enabled": False})  # blocked: soft delete
    sim.update_user(tenant["id"], oids[f"person5@{domain}"], {"upn": f"person5.new@{domain}"})  # a rename of userName
    sim.delete_user(tenant["id"], oids[f"person7@{domain}"])  # hard delete
    sim.update_group(tenant["id"], tenant["core"], {"display_name": "R&D", "remove_members": [oids[f"person3@{domain}"]],
                                                    "add_members": [oids[f"person4@{domain}"]]})
    sim.update_group(tenant["id"], tenant["empty"], {"add_members": [oids[f"person1@{domain}"]]})
    cycle = sim.run_provisioning_cycle(job)
    assert cycle["kind"] == "incremental" and cycle["errors"] == [], cycle
    assert_in_step(stack, admin, org, directory["id"], tenant["id"], job)
    users, _ = directory_state(admin, org, directory["id"])
    assert users[f"person2@{domain}"]["active"] is False and f"person7@{domain}" not in users
    assert f"person5.new@{domain}" in users and f"person5@{domain}" not in users

    sent = sim.provisioning_requests(job, cycle["cycle"])
    bodies = [r["body"]["Operations"] for r in sent if r["method"] == "PATCH"]
    disable = {"op": "replace", "path": "active", "value": False} if flag else {"op": "Replace", "path": "active", "value": "False"}
    assert [disable] in bodies
    removed = [op for ops in bodies for op in ops if op["op"].lower() == "remove"]
    if flag:
        assert removed and all(op["path"].startswith('members[value eq "') and "value" not in op for op in removed)
    else:
        assert removed and all(op["path"] == "members" and op["value"][0]["value"] for op in removed)
    assert [r["method"] for r in sent].count("DELETE") == 1
    assert sim.run_provisioning_cycle(job)["requests"] == 2  # nothing changed: only the cycle's two probes

    events = read_feed(admin, f"/api/organizations/{org}/directories/{directory['id']}/events")
    types = {e["type"] for e in events}
    assert {"user.created", "user.updated", "user.deactivated", "user.deleted", "group.created", "group.updated",
            "group.user_added", "group.user_removed"} <= types


def test_object_id_mapped_to_external_id_becomes_the_idp_id(stack, admin, new_org):
    sim, org = stack.simulator, new_org()
    tenant = new_tenant(sim)
    directory = new_directory(admin, org, idp_id_attribute="externalId")
    job = start_job(stack, tenant["id"], directory, True, external_id="objectId")
    assert sim.run_provisioning_cycle(job)["errors"] == []
    by_name = {u["user_name"]: u for u in read_all(admin, f"/api/organizations/{org}/directories/{directory['id']}/users")}
    for user in sim.tenant_view(tenant["id"])["users"]:
        if user["account_enabled"]:
            assert by_name[scim_user_name(user["upn"])]["idp_id"] == user["oid"]


def test_a_wrong_secret_token_fails_test_connection(stack, admin, new_org):
    directory = new_directory(admin, new_org())
    job = stack.simulator.create_provisioning_job(CONTOSO, {"tenant_url": directory["scim_base_url"], "secret_token": "not-the-token"})
    result = stack.simulator.test_provisioning_connection(job["id"])
    assert result["ok"] is False and result["status"] == 401


def _sign_in(stack, admin, org: str, username: str) -> dict:
    """The profile the SaaS gets, or {"error": code} when the sign-in is refused."""
    callback = oidc_sign_in(Browser(stack.simulator.ca_bundle), stack, username, organization=org)
    answer = query(callback.headers["Location"])
    if "error" in answer:
        return answer
    key = admin.post("/api/api-keys", json={"organization": org, "name": "backend"}).json()["key"]
    exchanged = ApiClient(stack.base_url, key).post("/api/sso/token", json={"code": answer["code"]}).json()
    return exchanged.get("profile") or exchanged


@pytest.mark.parametrize("flag", [False, True], ids=["default", "aadOptscim062020"])
def test_a_deactivation_in_entra_blocks_that_user_s_next_sign_in(stack, admin, new_org, flag):
    sim, org = stack.simulator, new_org()
    connection = create_oidc_connection(admin, org, register_oidc_app(stack))
    directory = new_directory(admin, org, connection=connection["id"])
    upn = f"leaver.{secrets.token_hex(4)}@contoso.com"
    leaver = sim.add_user(CONTOSO, {"upn": upn, "name": "Lee Ver", "given_name": "Lee", "family_name": "Ver", "email": upn})
    job = start_job(stack, CONTOSO, directory, flag, scope="assigned", assigned_users=[leaver["oid"]])
    assert sim.run_provisioning_cycle(job)["counts"]["users_created"] == 1
    assert admin.patch(f"/api/organizations/{org}", json={"provisioning": "directory"}).status_code == 200

    before = _sign_in(stack, admin, org, upn)
    assert "error" not in before, before
    assert before["directory_user_id"]

    sim.unassign_from_provisioning(job, users=[leaver["oid"]])  # out of scope: Entra disables the user in the app
    assert sim.run_provisioning_cycle(job)["counts"]["users_disabled"] == 1
    assert _sign_in(stack, admin, org, upn).get("error") == "user_deprovisioned"


def test_the_demo_org_s_directory_is_filled_from_contoso_and_keeps_syncing(stack, admin, new_org):
    org = new_org()
    connection = create_oidc_connection(admin, org, register_oidc_app(stack))
    demo = add_directory(base_url=stack.base_url, bootstrap_key=stack.bootstrap_key, sim_authority=stack.simulator.authority,
                         sim_ca_bundle=stack.simulator.ca_bundle, connection=connection["id"], slug=org, interval_seconds=3600)
    try:
        assert stack.simulator.provisioning_status(demo.job)["state"] == "active"
        users, groups = directory_state(admin, org, demo.id)
        assert {scim_user_name(u["upn"]) for u in DEMO_CONTOSO["users"]} <= set(users)
        assert {g["display_name"] for g in DEMO_CONTOSO["groups"]} == set(groups)
        assert demo.events_url.endswith(f"/api/organizations/{org}/directories/{demo.id}/events")
        assert any(e["type"] == "user.created" for e in read_feed(admin, demo.events_url.removeprefix(stack.base_url)))
    finally:
        stack.simulator.stop_provisioning(demo.job)
