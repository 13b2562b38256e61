"""Sign-in knows the directory: a matched user's profile carries directory_user_id and its groups
with names; `provisioning: "directory"` refuses deactivated, deleted and unknown users with
user_deprovisioned at once; matching is on the object id (where mapped) or userName = UPN, never
on a mere email; the sign-in policy honours `directory_users` and per-user `sso_required`."""
from __future__ import annotations

import pytest

from tests.conftest import ApiClient
from tests.directory.conftest import GROUP_SCHEMA, patch_body, user_body
from tests.flows.helpers import ADELE, APP_REDIRECT, Browser, oidc_sign_in, query
from tests.lifecycle.helpers import oidc_setup, sign_in

ADELE_OID = "e41e935d-0cf8-46da-8238-c6dc01bd8bb6"


def _refused_with(stack, setup, code: str) -> None:
    browser = Browser(stack.simulator.ca_bundle)
    callback = oidc_sign_in(browser, stack, ADELE, connection=setup.connection["id"])
    location = callback.headers.get("Location", "")
    assert callback.status_code == 302 and location.startswith(APP_REDIRECT + "?"), callback.text[:300]
    assert query(location).get("error") == code, query(location)


@pytest.fixture
def setup(stack, admin, new_org):
    return oidc_setup(stack, admin, new_org)


def _provision(new_directory, setup, user_name=ADELE, **fields):
    directory = new_directory(org=setup.org, **fields)
    user = directory.scim.post("/Users", json=user_body(user_name, externalId=ADELE_OID)).json()
    return directory, user


def test_a_matched_sign_in_carries_the_directory_user_and_group_names(stack, admin, setup, new_directory):
    directory, user = _provision(new_directory, setup)
    group = directory.scim.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "Finance", "members": [{"value": user["id"]}]}).json()
    profile = sign_in(stack, setup)
    assert profile["directory_user_id"] == user["id"]
    assert profile["directory_groups"] == [{"id": group["id"], "name": "Finance"}]


def test_no_match_on_a_mere_email(stack, admin, setup, new_directory):
    directory = new_directory(org=setup.org)
    # the directory's user has Adele's address as an email, but another userName: not Adele
    directory.scim.post("/Users", json=user_body("someone.else@contoso.com", emails=[{"type": "work", "value": ADELE}]))
    profile = sign_in(stack, setup)
    assert "directory_user_id" not in profile


def test_object_id_match_where_the_directory_carries_it(stack, admin, setup, new_directory):
    directory = new_directory(org=setup.org, idp_id_attribute="externalId")
    user = directory.scim.post("/Users", json=user_body("renamed.upn@contoso.com", externalId=ADELE_OID)).json()
    assert sign_in(stack, setup)["directory_user_id"] == user["id"]


def test_provisioning_directory_refuses_deprovisioned_users_at_once(stack, admin, setup, new_directory):
    assert admin.patch(f"/api/organizations/{setup.org}", json={"provisioning": "directory"}).status_code == 200
    _refused_with(stack, setup, "user_deprovisioned")  # no directory user yet
    directory, user = _provision(new_directory, setup)
    assert sign_in(stack, setup)["directory_user_id"] == user["id"]
    directory.scim.patch(f"/Users/{user['id']}", json=patch_body({"op": "Replace", "path": "active", "value": "False"}))
    _refused_with(stack, setup, "user_deprovisioned")
    directory.scim.patch(f"/Users/{user['id']}", json=patch_body({"op": "Replace", "path": "active", "value": "True"}))
    assert sign_in(stack, setup)["directory_user_id"] == user["id"]
    directory.scim.delete(f"/Users/{user['id']}")
    _refused_with(stack, setup, "user_deprovisioned")


def test_sign_in_policy_honours_directory_users_and_sso_required(stack, admin, setup, new_directory):
    directory, user = _provision(new_directory, setup)
    directory.scim.post("/Users", json=user_body("bob.kelly@contoso.com"))
    policy = f"/api/organizations/{setup.org}/sign-in-policy"

    def required(email: str) -> bool:
        response = admin.get(policy, params={"email": email})
        assert response.status_code == 200, response.text
        return response.json()["sso_required"]

    assert not required(ADELE) and not required("bob.kelly@contoso.com")
    patched = admin.patch(f"/api/organizations/{setup.org}/directories/{directory.id}/users/{user['id']}", json={"sso_required": True})
    assert patched.status_code == 200 and patched.json()["sso_required"] is True
    assert required(ADELE) and not required("bob.kelly@contoso.com")
    assert admin.patch(f"/api/organizations/{setup.org}", json={"sso_enforcement": "directory_users"}).status_code == 200
    assert required("bob.kelly@contoso.com") and not required("not.synced@contoso.com")
    assert admin.patch(f"/api/organizations/{setup.org}/directories/{directory.id}/users/{user['id']}", json={"sso_required": "yes"}).status_code == 400


def test_the_saas_view_of_users_and_groups(stack, admin, new_directory):
    directory = new_directory(idp_id_attribute="externalId")
    ada = directory.scim.post("/Users", json=user_body("ada@contoso.com", externalId="oid-ada")).json()
    bob = directory.scim.post("/Users", json=user_body("bob@contoso.com")).json()
    group = directory.scim.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "Eng", "members": [{"value": ada["id"]}]}).json()
    base = f"/api/organizations/{directory.org}/directories/{directory.id}"
    first = admin.get(f"{base}/users", params={"limit": 1}).json()
    second = admin.get(f"{base}/users", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    seen = {u["id"]: u for u in first["data"] + second["data"]}
    assert set(seen) == {ada["id"], bob["id"]}
    shown = seen[ada["id"]]
    assert (shown["idp_id"], shown["user_name"], shown["first_name"], shown["last_name"], shown["active"], shown["state"]) == \
        ("oid-ada", "ada@contoso.com", "Ada", "Lovelace", True, "active")
    assert shown["groups"] == [{"id": group["id"], "name": "Eng"}] and shown["emails"][0]["value"] == "ada@contoso.com"
    assert shown["raw_attributes"]["userName"] == "ada@contoso.com"
    members = admin.get(f"{base}/users", params={"group": group["id"]}).json()["data"]
    assert [u["id"] for u in members] == [ada["id"]]
    groups = admin.get(f"{base}/groups").json()["data"]
    assert [(g["id"], g["name"]) for g in groups] == [(group["id"], "Eng")]
    assert admin.get(f"{base}/users", params={"group": "nope"}).status_code == 404
    assert admin.get(f"{base}/users/{bob['id']}").json()["groups"] == []
    assert ApiClient(stack.base_url, None).get(f"{base}/users").status_code == 401
