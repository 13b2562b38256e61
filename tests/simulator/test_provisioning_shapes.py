"""The bodies the simulator's provisioning client sends, against Microsoft's documented samples
of what Entra's provisioning service sends, in both dialects (with and without the Tenant URL
flag aadOptscim062020)."""
import pytest

from local.entra_sim import scim_shapes as shapes
from local.entra_sim.directory import User
from local.entra_sim.provisioning import split_tenant_url

ADELE = User(oid="e41e935d-0cf8-46da-8238-c6dc01bd8bb6", upn="adele.vance@contoso.com",
             name="Adele Vance", given_name="Adele", family_name="Vance",
             email="adele.vance@contoso.com", mail_nickname="adele.vance")


def test_default_mappings_send_upn_as_username_and_mail_nickname_as_external_id():
    assert shapes.user_attributes(ADELE) == {
        "userName": "adele.vance@contoso.com", "active": True, "displayName": "Adele Vance",
        'emails[type eq "work"].value': "adele.vance@contoso.com", "name.givenName": "Adele",
        "name.familyName": "Vance", "name.formatted": "Adele Vance", "externalId": "adele.vance"}


def test_external_id_can_carry_the_object_id():
    assert shapes.user_attributes(ADELE, "objectId")["externalId"] == ADELE.oid


def test_absent_attributes_are_not_sent_never_null():
    bob = User(oid="acd2bf46-00db-468e-8418-a3a50f1249b7", upn="bob@contoso.com", name="Bob",
               mail_nickname="bob")
    attrs = shapes.user_attributes(bob)
    assert set(attrs) == {"userName", "active", "displayName", "externalId"}
    body = shapes.user_body(attrs)
    assert "emails" not in body and "name" not in body
    assert None not in body.values()


def test_a_guest_upn_is_sent_as_the_guest_s_own_address():
    assert shapes.scim_user_name("jane.doe_fabrikam.com#EXT#@contoso.onmicrosoft.com") == "jane.doe@fabrikam.com"
    assert shapes.scim_user_name("adele.vance@contoso.com") == "adele.vance@contoso.com"


def test_create_user_body_is_entra_s():
    body = shapes.user_body(shapes.user_attributes(ADELE))
    assert body["schemas"] == [shapes.CORE_USER, shapes.ENTERPRISE_USER]
    assert body["active"] is True  # a boolean on create, in both dialects
    assert body["emails"] == [{"primary": True, "type": "work", "value": "adele.vance@contoso.com"}]
    assert body["name"] == {"formatted": "Adele Vance", "familyName": "Vance", "givenName": "Adele"}
    assert body["meta"] == {"resourceType": "User"} and body["roles"] == []


def test_disable_without_the_flag_is_a_capitalised_replace_with_a_string():
    assert shapes.attribute_ops({"active": True}, {"active": False}, compliant=False) == [
        {"op": "Replace", "path": "active", "value": "False"}]


def test_disable_with_the_flag_is_a_lowercase_replace_with_a_boolean():
    assert shapes.attribute_ops({"active": True}, {"active": False}, compliant=True) == [
        {"op": "replace", "path": "active", "value": False}]


def test_an_attribute_the_target_lacks_is_added():
    assert shapes.attribute_ops({}, {"displayName": "Babs"}, compliant=False) == [
        {"op": "Add", "path": "displayName", "value": "Babs"}]
    assert shapes.attribute_ops({}, {"displayName": "Babs"}, compliant=True) == [
        {"op": "add", "path": "displayName", "value": "Babs"}]


def test_several_replacements_one_op_each_without_the_flag_one_value_object_with_it():
    current = {"displayName": "A", 'emails[type eq "work"].value': "a@x", "name.givenName": "A",
               "name.familyName": "B"}
    desired = {"displayName": "C", 'emails[type eq "work"].value': "c@x", "name.givenName": "C",
               "name.familyName": "D"}
    assert shapes.attribute_ops(current, desired, compliant=False) == [
        {"op": "Replace", "path": "displayName", "value": "C"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "c@x"},
        {"op": "Replace", "path": "name.givenName", "value": "C"},
        {"op": "Replace", "path": "name.familyName", "value": "D"}]
    assert shapes.attribute_ops(current, desired, compliant=True) == [
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "c@x"},
        {"op": "replace", "value": {"displayName": "C", "name.givenName": "C", "name.familyName": "D"}}]


def test_a_rename_with_reactivation_sends_both():
    ops = shapes.attribute_ops({"userName": "a@x", "active": False}, {"userName": "b@x", "active": True},
                               compliant=False)
    assert ops == [{"op": "Replace", "path": "userName", "value": "b@x"},
                   {"op": "Replace", "path": "active", "value": "True"}]


def test_nothing_changed_sends_nothing():
    attrs = shapes.user_attributes(ADELE)
    assert shapes.attribute_ops(attrs, attrs, compliant=False) == []


def test_group_create_and_members():
    class G:
        id, display_name = "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "Sales"

    assert shapes.group_body(G) == {
        "schemas": [shapes.CORE_GROUP, shapes.AD_GROUP], "externalId": G.id,
        "displayName": "Sales", "meta": {"resourceType": "Group"}}
    assert shapes.add_members_ops(["u1"], compliant=False) == [
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": "u1"}]}]
    assert shapes.remove_members_ops(["u1", "u2"], compliant=False) == [
        {"op": "Remove", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]}]
    assert shapes.remove_members_ops(["u1", "u2"], compliant=True) == [
        {"op": "remove", "path": 'members[value eq "u1"]'},
        {"op": "remove", "path": 'members[value eq "u2"]'}]


def test_filters_quote_values_as_json_strings():
    assert shapes.eq_filter("displayName", 'R&D "core"') == 'displayName eq "R&D \\"core\\""'


@pytest.mark.parametrize("url, base, compliant", [
    ("https://sso.example/scim/v2/dir_1", "https://sso.example/scim/v2/dir_1", False),
    ("https://sso.example/scim/v2/dir_1?aadOptscim062020", "https://sso.example/scim/v2/dir_1", True),
    ("https://sso.example/scim/v2/dir_1/?aadoptscim062020", "https://sso.example/scim/v2/dir_1", True),
])
def test_the_flag_is_read_from_the_tenant_url_and_not_sent_on(url, base, compliant):
    assert split_tenant_url(url) == (base, compliant)
