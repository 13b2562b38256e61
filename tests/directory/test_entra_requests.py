"""Every request shape Entra's provisioning service sends (Microsoft's documentation of its SCIM
requests and of its known compatibility issues), each run with and without ?aadOptscim062020
(the `directory` fixture runs each test in both modes)."""
from __future__ import annotations

import uuid

from tests.directory.conftest import ENTERPRISE, GROUP_SCHEMA, patch_body, user_body


def _user(directory, user_name="ada@contoso.com", **extra) -> dict:
    response = directory.scim.post("/Users", json=user_body(user_name, **extra))
    assert response.status_code == 201, response.text
    return response.json()


def _group(directory, name="Engineering", members=()) -> dict:
    body = {"schemas": [GROUP_SCHEMA], "displayName": name, "externalId": str(uuid.uuid4()), "members": [{"value": m} for m in members]}
    response = directory.scim.post("/Groups", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _members(directory, group_id) -> set[str]:
    response = directory.scim.get(f"/Groups/{group_id}")
    assert response.status_code == 200, response.text
    return {m["value"] for m in response.json().get("members", [])}


def test_test_connection_filter_on_a_random_guid_is_an_empty_list(directory):
    response = directory.scim.get(f'/Users?filter=userName eq "{uuid.uuid4()}"')
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert body["totalResults"] == 0 and body["Resources"] == []


def test_filter_on_user_name_is_case_insensitive(directory):
    user = _user(directory, "Grace@Contoso.com")
    _user(directory, "other@contoso.com")
    body = directory.scim.get('/Users?filter=userName eq "grace@contoso.com"').json()
    assert [r["id"] for r in body["Resources"]] == [user["id"]] and body["totalResults"] == 1


def test_filter_on_external_id(directory):
    user = _user(directory, externalId="grace")
    _user(directory, "other@contoso.com", externalId="other")
    body = directory.scim.get('/Users?filter=externalId eq "grace"').json()
    assert [r["id"] for r in body["Resources"]] == [user["id"]]


def test_filter_on_work_email(directory):
    user = _user(directory, "ada@contoso.com")
    _user(directory, "bob@contoso.com", emails=[{"type": "home", "value": "ada2@contoso.com"}])
    body = directory.scim.get('/Users?filter=emails[type eq "work"].value eq "ada@contoso.com"').json()
    assert [r["id"] for r in body["Resources"]] == [user["id"]]
    assert directory.scim.get('/Users?filter=emails[type eq "work"].value eq "ada2@contoso.com"').json()["totalResults"] == 0


def test_group_filter_on_display_name_without_members(directory):
    user = _user(directory)
    group = _group(directory, "Sales", [user["id"]])
    _group(directory, "Support")
    response = directory.scim.get('/Groups?filter=displayName eq "Sales"&excludedAttributes=members')
    body = response.json()
    assert [r["id"] for r in body["Resources"]] == [group["id"]]
    assert "members" not in body["Resources"][0]
    assert _members(directory, group["id"]) == {user["id"]}  # without the exclusion they are there


def test_patch_op_in_any_case(directory):
    user = _user(directory)
    for op, title in (("Replace", "One"), ("replace", "Two"), ("REPLACE", "Three"), ("Add", "Four"), ("add", "Five")):
        response = directory.scim.patch(f"/Users/{user['id']}", json=patch_body({"op": op, "path": "title", "value": title}))
        assert response.status_code == 200, response.text
        assert response.json()["title"] == title
    response = directory.scim.patch(f"/Users/{user['id']}", json=patch_body({"op": "Remove", "path": "title"}))
    assert response.status_code == 200 and "title" not in response.json()


def test_booleans_as_strings(directory):
    user = _user(directory, active="True")
    assert user["active"] is True
    response = directory.scim.patch(f"/Users/{user['id']}", json=patch_body({"op": "Replace", "path": "active", "value": "False"}))
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    response = directory.scim.patch(f"/Users/{user['id']}", json=patch_body({"op": "Replace", "path": "active", "value": "True"}))
    assert response.json()["active"] is True


def test_replace_without_path_takes_a_value_object(directory):
    user = _user(directory)
    body = patch_body({"op": "Replace", "value": {"active": False, "displayName": "Countess", "name.givenName": "Augusta"}})
    response = directory.scim.patch(f"/Users/{user['id']}", json=body)
    assert response.status_code == 200, response.text
    answered = response.json()
    assert answered["active"] is False and answered["displayName"] == "Countess" and answered["name"]["givenName"] == "Augusta"
    assert answered["name"]["familyName"] == "Lovelace"  # untouched


def test_remove_members_as_a_value_list(directory):
    ada, bob = _user(directory), _user(directory, "bob@contoso.com")
    group = _group(directory, members=[ada["id"], bob["id"]])
    body = patch_body({"op": "Remove", "path": "members", "value": [{"value": ada["id"]}]})
    assert directory.scim.patch(f"/Groups/{group['id']}", json=body).status_code in (200, 204)
    assert _members(directory, group["id"]) == {bob["id"]}


def test_remove_members_by_filter(directory):
    ada, bob = _user(directory), _user(directory, "bob@contoso.com")
    group = _group(directory, members=[ada["id"], bob["id"]])
    body = patch_body({"op": "remove", "path": f'members[value eq "{bob["id"]}"]'})
    assert directory.scim.patch(f"/Groups/{group['id']}", json=body).status_code in (200, 204)
    assert _members(directory, group["id"]) == {ada["id"]}


def test_add_members(directory):
    ada, bob = _user(directory), _user(directory, "bob@contoso.com")
    group = _group(directory)
    body = patch_body({"op": "Add", "path": "members", "value": [{"value": ada["id"]}, {"value": bob["id"]}]})
    assert directory.scim.patch(f"/Groups/{group['id']}", json=body).status_code in (200, 204)
    assert _members(directory, group["id"]) == {ada["id"], bob["id"]}
    # Entra repeats itself: adding a member again changes nothing and fails nothing
    assert directory.scim.patch(f"/Groups/{group['id']}", json=body).status_code in (200, 204)


def test_add_on_single_valued_attributes(directory):
    user = _user(directory)
    body = patch_body({"op": "Add", "path": "displayName", "value": "Ada L."},
                      {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Analytics"},
                      {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "boss-id"})
    response = directory.scim.patch(f"/Users/{user['id']}", json=body)
    assert response.status_code == 200, response.text
    answered = response.json()
    assert answered["displayName"] == "Ada L."
    assert answered[ENTERPRISE]["department"] == "Analytics" and answered[ENTERPRISE]["manager"]["value"] == "boss-id"


def test_group_display_name_replace(directory):
    group = _group(directory, "Old name")
    body = patch_body({"op": "Replace", "path": "displayName", "value": "New name"})
    assert directory.scim.patch(f"/Groups/{group['id']}", json=body).status_code in (200, 204)
    assert directory.scim.get('/Groups?filter=displayName eq "Old name"').json()["totalResults"] == 0
    assert directory.scim.get('/Groups?filter=displayName eq "New name"').json()["totalResults"] == 1


def test_user_name_rename_together_with_active(directory):
    user = _user(directory, "old@contoso.com")
    body = patch_body({"op": "Replace", "path": "userName", "value": "new@contoso.com"}, {"op": "Replace", "path": "active", "value": False})
    response = directory.scim.patch(f"/Users/{user['id']}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["userName"] == "new@contoso.com" and response.json()["active"] is False
    assert directory.scim.get('/Users?filter=userName eq "old@contoso.com"').json()["totalResults"] == 0
    assert directory.scim.get('/Users?filter=userName eq "new@contoso.com"').json()["totalResults"] == 1
    _user(directory, "old@contoso.com")  # the old name is free again


def test_soft_delete_then_hard_delete(directory):
    user = _user(directory)
    response = directory.scim.patch(f"/Users/{user['id']}", json=patch_body({"op": "Replace", "path": "active", "value": False}))
    assert response.status_code == 200 and response.json()["active"] is False
    assert directory.scim.get(f"/Users/{user['id']}").json()["active"] is False
    assert directory.scim.delete(f"/Users/{user['id']}").status_code == 204
    assert directory.scim.get(f"/Users/{user['id']}").status_code == 404
    assert directory.scim.get('/Users?filter=userName eq "ada@contoso.com"').json()["totalResults"] == 0
    assert directory.scim.delete(f"/Users/{user['id']}").status_code == 404


def test_duplicate_user_name_or_external_id_is_409_uniqueness(directory):
    _user(directory, "ada@contoso.com", externalId="ada")
    for body in (user_body("ADA@contoso.com"), user_body("x@contoso.com", externalId="ada")):
        response = directory.scim.post("/Users", json=body)
        assert response.status_code == 409, response.text
        assert response.json()["scimType"] == "uniqueness"
        assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_put_replaces_and_etag_is_honoured(directory):
    user = _user(directory)
    version = user["meta"]["version"]
    replaced = user_body("ada@contoso.com", displayName="Replaced")
    response = directory.scim.put(f"/Users/{user['id']}", json=replaced, headers={"If-Match": version})
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Replaced" and response.headers["ETag"] == response.json()["meta"]["version"] != version
    stale = directory.scim.put(f"/Users/{user['id']}", json=replaced, headers={"If-Match": version})
    assert stale.status_code == 412


def test_deleting_a_user_removes_its_memberships(directory):
    ada = _user(directory)
    group = _group(directory, members=[ada["id"]])
    assert directory.scim.delete(f"/Users/{ada['id']}").status_code == 204
    assert _members(directory, group["id"]) == set()
    assert directory.scim.delete(f"/Groups/{group['id']}").status_code == 204
    assert directory.scim.get(f"/Groups/{group['id']}").status_code == 404


def test_group_create_with_entras_microsoft_group_schema(directory):
    """Entra lists its ADSCIM Group schema beside the core one on every group it creates."""
    member = _user(directory)
    body = {"schemas": [GROUP_SCHEMA, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "displayName": "Sales", "externalId": str(uuid.uuid4()), "members": [{"value": member["id"]}]}
    response = directory.scim.post("/Groups", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["schemas"] == [GROUP_SCHEMA]
    assert _members(directory, response.json()["id"]) == {member["id"]}
    other = directory.scim.post("/Groups", json={**body, "displayName": "Other", "externalId": str(uuid.uuid4()),
                                                 "schemas": [GROUP_SCHEMA, "urn:example:not-a-schema"]})
    assert other.status_code == 400 and other.json()["scimType"] == "invalidValue"
