"""The contract's profile from validated claims: the stable id, the email fallback and when an
email counts as verified, names, groups and the overage flag; SAML attributes likewise."""
from __future__ import annotations

import pytest

from shared.saml.entra_claims import GROUPS_LINK, MAPPABLE_FIELDS
from shared.signin.profile import oidc_profile, saml_profile, user_id

SAML_ATTRIBUTES = {**MAPPABLE_FIELDS, "groups_link": GROUPS_LINK}  # Entra's names of what saml() is given
TENANT = "0ff014fc-8490-4ab7-bf04-c6875829a31f"
OID = "7a0c1f7e-5d2b-4a55-9b1e-3c8d6b2f0a11"
ORG_DOMAINS = ["contoso.com"]


def claims(**overrides) -> dict:
    base = {"tid": TENANT, "oid": OID, "sub": "s", "email": "adele@contoso.com", "xms_edov": True,
            "preferred_username": "adele@contoso.com", "name": "Adele Vance", "given_name": "Adele", "family_name": "Vance"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def profile(own_app: bool = False, domains=ORG_DOMAINS, **overrides):
    return oidc_profile(claims(**overrides), organization="acme", connection_id="conn_1", verified_domains=domains,
                        own_single_tenant_app=own_app)


def test_the_contract_fields():
    result, _ = profile()
    assert set(result) == {"id", "organization", "connection", "protocol", "idp_id", "entra_tenant_id", "email",
                           "email_verified", "name", "first_name", "last_name", "groups", "groups_overage", "raw_attributes"}
    assert (result["organization"], result["connection"], result["protocol"]) == ("acme", "conn_1", "oidc")
    assert (result["idp_id"], result["entra_tenant_id"]) == (OID, TENANT)
    assert (result["name"], result["first_name"], result["last_name"]) == ("Adele Vance", "Adele", "Vance")
    assert result["raw_attributes"] == claims()


def test_the_id_is_stable_per_connection_tenant_and_oid_never_the_email():
    first, _ = profile()
    renamed, _ = profile(email="adele.vance@contoso.com", name="A. Vance")
    assert first["id"] == renamed["id"] == user_id("conn_1", TENANT, OID)
    assert first["id"].startswith("user_") and len(first["id"]) == 5 + 32
    assert user_id("conn_2", TENANT, OID) != first["id"]
    assert user_id("conn_1", "2ec7d01f-b28f-4f43-a09e-28545b0a28e9", OID) != first["id"]
    assert user_id("conn_1", TENANT, "other-oid") != first["id"]
    assert user_id("conn_1\0", TENANT, OID) != user_id("conn_1", "\0" + TENANT, OID)  # no ambiguous encodings


def test_an_email_on_a_verified_domain_vouched_by_xms_edov_is_verified():
    _, email = profile()
    assert (email.email, email.source, email.verified, email.reason) == ("adele@contoso.com", "email", True, None)


def test_the_orgs_own_single_tenant_app_vouches_without_xms_edov():
    result, email = profile(own_app=True, xms_edov=None)
    assert result["email_verified"] is True


def test_without_xms_edov_a_multi_tenant_app_does_not_vouch():
    for edov in (None, False, "false", "0"):
        result, email = profile(xms_edov=edov)
        assert (result["email_verified"], email.reason) == (False, "not_vouched_by_entra")


def test_xms_edov_as_a_string_counts():
    assert profile(xms_edov="true")[0]["email_verified"] is True


def test_an_email_on_a_domain_the_org_has_not_verified_is_not_verified():
    result, email = profile(email="ceo@fabrikam.com", own_app=True)
    assert (result["email"], result["email_verified"]) == ("ceo@fabrikam.com", False)
    assert (email.reason, email.domain) == ("domain_not_verified", "fabrikam.com")  # the caller looks up who verified it


def test_a_subdomain_is_another_domain():
    assert profile(email="adele@eu.contoso.com")[1].reason == "domain_not_verified"


def test_domains_compare_case_insensitively():
    assert profile(email="Adele@CONTOSO.com", domains=["Contoso.COM"])[0]["email_verified"] is True


@pytest.mark.parametrize("fallback", ["preferred_username", "upn"])
def test_an_email_from_preferred_username_or_upn_is_never_verified(fallback):
    overrides = {"email": None, "preferred_username": None, fallback: "adele@contoso.com"}
    result, email = profile(own_app=True, **overrides)
    assert (result["email"], result["email_verified"], email.source, email.reason) == ("adele@contoso.com", False, fallback, "not_email_claim")


def test_the_fallback_order_is_email_preferred_username_upn():
    assert profile(email=None, preferred_username="p@contoso.com", upn="u@contoso.com")[1].source == "preferred_username"
    assert profile(email=None, preferred_username="not an address", upn="u@contoso.com")[1].source == "upn"


def test_no_email_at_all():
    result, email = profile(email=None, preferred_username=None)
    assert (result["email"], result["email_verified"], email.reason) == (None, False, "no_email")


def test_names_fall_back_to_splitting_the_display_name():
    result, _ = profile(given_name=None, family_name=None, name="Adele Van Vance")
    assert (result["first_name"], result["last_name"]) == ("Adele", "Van Vance")
    result, _ = profile(name=None)
    assert result["name"] == "Adele Vance"


def test_groups():
    result, _ = profile(groups=["g1", "g2"])
    assert (result["groups"], result["groups_overage"]) == (["g1", "g2"], False)


def test_groups_overage_is_the_pointer_without_groups():
    result, _ = profile(_claim_names={"groups": "src1"}, _claim_sources={"src1": {"endpoint": "https://graph.microsoft.com/..."}})
    assert (result["groups"], result["groups_overage"]) == ([], True)
    assert profile(hasgroups=True)[0]["groups_overage"] is True
    assert profile()[0]["groups_overage"] is False
    assert profile(groups=["g1"], _claim_names={"groups": "src1"})[0]["groups_overage"] is False


def saml(attributes: dict, name_id: str = "adele@contoso.com", own_app: bool = True, **kwargs):
    return saml_profile({SAML_ATTRIBUTES[k]: v for k, v in attributes.items()}, name_id=name_id, entra_tenant_id=TENANT,
                        organization="acme", connection_id="conn_s", verified_domains=ORG_DOMAINS, own_single_tenant_app=own_app, **kwargs)


def test_a_saml_profile():
    result, email = saml({"email": ["adele@contoso.com"], "idp_id": [OID], "first_name": ["Adele"], "last_name": ["Vance"],
                          "groups": ["g1", "g2"]})
    assert (result["protocol"], result["idp_id"], result["id"]) == ("saml", OID, user_id("conn_s", TENANT, OID))
    assert (result["email"], result["email_verified"], result["name"]) == ("adele@contoso.com", True, "Adele Vance")
    assert (result["groups"], result["groups_overage"]) == (["g1", "g2"], False)


def test_saml_emails_only_on_verified_domains_and_never_from_the_name_id():
    assert saml({"email": ["adele@fabrikam.com"]})[1].reason == "domain_not_verified"
    result, email = saml({})
    assert (result["email"], result["email_verified"], email.source, result["idp_id"]) == ("adele@contoso.com", False, "name_id", "adele@contoso.com")


def test_saml_groups_overage_is_groups_link():
    link = ["https://graph.microsoft.com/v1.0/users/x/memberOf"]
    assert saml({"groups_link": link})[0]["groups_overage"] is True
    assert saml({"groups_link": link, "groups": ["g1"]})[0]["groups_overage"] is False


def test_a_connections_attribute_mapping_replaces_the_defaults():
    result, _ = saml_profile({"mail": ["adele@contoso.com"]}, name_id="n", entra_tenant_id=TENANT, organization="acme", connection_id="c",
                             verified_domains=ORG_DOMAINS, own_single_tenant_app=True, attribute_mapping={"email": "mail"})
    assert (result["email"], result["email_verified"]) == ("adele@contoso.com", True)
