"""The checks on a validly signed response: for us (audience, Destination, Recipient), now (time
window), for this sign-in (InResponseTo), and what comes out of it."""
from __future__ import annotations

import dataclasses
import datetime

import pytest

from local.entra_sim import saml_idp
from shared.platform.errors import SsoError
from shared.saml import validate_response
from tests.saml.entra import (
    ACS_URL,
    ADA,
    REQUEST_ID,
    SAML,
    SP_ENTITY_ID,
    TENANT_ID,
    assertion_of,
    encode,
    entra_response,
    profile_of,
    q,
    resign,
)

NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _validate(connection, xml: bytes, expected_request_id: str | None = REQUEST_ID, now=None):
    return validate_response(connection, encode(xml), expected_request_id=expected_request_id, now=now)


def _rejected(connection, xml: bytes, expected_request_id: str | None = REQUEST_ID, now=None) -> SsoError:
    with pytest.raises(SsoError) as caught:
        _validate(connection, xml, expected_request_id, now)
    return caught.value


def _confirmation_data(root):
    return assertion_of(root).find(f"{q(SAML, 'Subject')}/{q(SAML, 'SubjectConfirmation')}/{q(SAML, 'SubjectConfirmationData')}")


# For us

def test_wrong_audience_is_rejected(connection, idp_key):
    xml = entra_response(idp_key, audience="https://other-app.example.com")
    error = _rejected(connection, xml)
    assert error.code == "saml_audience_mismatch" and SP_ENTITY_ID in error.message


def test_audience_that_only_starts_with_ours_is_rejected(connection, idp_key):
    assert _rejected(connection, entra_response(idp_key, audience=SP_ENTITY_ID + "-other")).code == "saml_audience_mismatch"


def test_assertion_without_audience_is_rejected(connection, idp_key):
    def drop_audience(root):
        conditions = assertion_of(root).find(q(SAML, "Conditions"))
        conditions.remove(conditions.find(q(SAML, "AudienceRestriction")))
    assert _rejected(connection, resign(entra_response(idp_key), idp_key, drop_audience)).code == "saml_audience_mismatch"


def test_every_audience_restriction_must_name_us(connection, idp_key):
    """Two AudienceRestrictions must both be satisfied (SAML core 2.5.1.4)."""
    def add_restriction(root):
        conditions = assertion_of(root).find(q(SAML, "Conditions"))
        restriction = conditions.makeelement(q(SAML, "AudienceRestriction"))
        restriction.append(restriction.makeelement(q(SAML, "Audience")))
        restriction[0].text = "https://other-app.example.com"
        conditions.append(restriction)
    assert _rejected(connection, resign(entra_response(idp_key), idp_key, add_restriction)).code == "saml_audience_mismatch"


@pytest.mark.parametrize("destination", ["https://evil.example.com/acs", ACS_URL + "/../other", ACS_URL + "x", ACS_URL + "?x=1"])
def test_wrong_destination_is_rejected(connection, idp_key, destination):
    """Including a longer URL that starts with ours (python3-saml compares by prefix)."""
    xml = resign(entra_response(idp_key), idp_key, lambda root: root.set("Destination", destination))
    error = _rejected(connection, xml)
    assert error.code == "saml_destination_mismatch" and ACS_URL in error.message


def test_missing_destination_is_rejected(connection, idp_key):
    xml = resign(entra_response(idp_key), idp_key, lambda root: root.attrib.pop("Destination"))
    assert _rejected(connection, xml).code == "saml_destination_mismatch"


@pytest.mark.parametrize("recipient", ["https://evil.example.com/acs", ACS_URL + "x", "https://evil.example.com/?" + ACS_URL])
def test_wrong_recipient_is_rejected(connection, idp_key, recipient):
    """Including URLs that contain ours (python3-saml checks for a substring)."""
    xml = resign(entra_response(idp_key), idp_key, lambda root: _confirmation_data(root).set("Recipient", recipient))
    error = _rejected(connection, xml)
    assert error.code == "saml_recipient_mismatch" and ACS_URL in error.message


def test_acs_url_comes_from_the_public_base_url(connection, idp_key, monkeypatch):
    from shared.platform.settings import get_settings

    monkeypatch.setenv("SSO_PUBLIC_BASE_URL", "https://identity.us.example.com")
    get_settings.cache_clear()
    assert _rejected(connection, entra_response(idp_key)).code == "saml_destination_mismatch"


# Now

def test_expired_subject_confirmation_is_rejected(connection, idp_key):
    """Entra's SubjectConfirmationData expires 5 minutes after issue."""
    xml = entra_response(idp_key, now=NOW - datetime.timedelta(minutes=5, seconds=1))
    assert _rejected(connection, xml, now=NOW).code == "saml_expired"


def _conditions_until(until: datetime.datetime):
    def edit(root):
        assertion_of(root).find(q(SAML, "Conditions")).set("NotOnOrAfter", until.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return edit


def test_expired_conditions_are_rejected_beyond_the_clock_allowance(connection, idp_key):
    xml = resign(entra_response(idp_key, now=NOW), idp_key, _conditions_until(NOW - datetime.timedelta(minutes=4)))
    assert _rejected(connection, xml, now=NOW).code == "saml_expired"


def test_expired_conditions_are_accepted_within_the_clock_allowance(connection, idp_key):
    xml = resign(entra_response(idp_key, now=NOW), idp_key, _conditions_until(NOW - datetime.timedelta(minutes=2)))
    assert profile_of(_validate(connection, xml, now=NOW), connection)["idp_id"] == ADA["oid"]


def test_not_yet_valid_is_rejected_beyond_the_clock_allowance(connection, idp_key):
    """Entra's NotBefore is 5 minutes before issue: issued 9 minutes ahead is 4 minutes early."""
    xml = entra_response(idp_key, now=NOW + datetime.timedelta(minutes=9))
    assert _rejected(connection, xml, now=NOW).code == "saml_not_yet_valid"


def test_not_yet_valid_is_accepted_within_the_clock_allowance(connection, idp_key):
    xml = entra_response(idp_key, now=NOW + datetime.timedelta(minutes=7))
    assert profile_of(_validate(connection, xml, now=NOW), connection)["idp_id"] == ADA["oid"]


def test_subject_confirmation_without_not_on_or_after_is_rejected(connection, idp_key):
    """It would never expire, and the replay cache could not know how long to remember it."""
    xml = resign(entra_response(idp_key), idp_key, lambda root: _confirmation_data(root).attrib.pop("NotOnOrAfter"))
    assert _rejected(connection, xml).code == "saml_malformed"


def test_replay_horizon_covers_the_assertion_lifetime(connection, idp_key):
    assertion = _validate(connection, entra_response(idp_key, now=NOW), now=NOW)
    assert assertion.not_on_or_after == NOW + datetime.timedelta(minutes=5 + 3)


# For this sign-in

def test_missing_in_response_to_is_rejected_when_a_request_is_expected(connection, idp_key):
    """python3-saml accepts a response without InResponseTo even when given a request id."""
    xml = resign(entra_response(idp_key), idp_key, lambda root: root.attrib.pop("InResponseTo"))
    assert _rejected(connection, xml).code == "saml_in_response_to_mismatch"


def test_other_in_response_to_is_rejected(connection, idp_key):
    xml = entra_response(idp_key, in_response_to="ONELOGIN_other")
    assert _rejected(connection, xml).code == "saml_in_response_to_mismatch"


def test_subject_confirmation_must_answer_the_request_too(connection, idp_key):
    """The Response's InResponseTo is outside the signed assertion; the signed one must match."""
    xml = resign(entra_response(idp_key), idp_key, lambda root: _confirmation_data(root).attrib.pop("InResponseTo"))
    assert _rejected(connection, xml).code == "saml_in_response_to_mismatch"


def test_unsolicited_assertion_cannot_be_wrapped_as_an_answer(connection, idp_key):
    """An IdP-initiated assertion (no InResponseTo inside) in a Response claiming to answer ours."""
    xml = entra_response(idp_key, in_response_to=None).replace(b"<samlp:Response ", f'<samlp:Response InResponseTo="{REQUEST_ID}" '.encode(), 1)
    assert _rejected(connection, xml).code == "saml_in_response_to_mismatch"


def test_unsolicited_response_is_rejected_unless_allowed(connection, idp_key):
    xml = entra_response(idp_key, in_response_to=None)
    assert _rejected(connection, xml, expected_request_id=None).code == "saml_unsolicited_response"
    allowed = dataclasses.replace(connection, allow_idp_initiated=True)
    assertion = _validate(allowed, xml, expected_request_id=None)
    assert profile_of(assertion, allowed)["idp_id"] == ADA["oid"]


def test_response_to_an_unknown_request_is_not_taken_for_idp_initiated(connection, idp_key):
    """E.g. the login state expired: say so, rather than that IdP-initiated sign-in is off; and
    never accept it as IdP-initiated, even where that is allowed."""
    xml = entra_response(idp_key)
    assert _rejected(connection, xml, expected_request_id=None).code == "saml_in_response_to_mismatch"
    allowed = dataclasses.replace(connection, allow_idp_initiated=True)
    assert _rejected(allowed, xml, expected_request_id=None).code == "saml_in_response_to_mismatch"


# Entra's refusals

@pytest.mark.parametrize(("status", "sub_status", "message", "code", "says"), [
    ("Requester", "RequestDenied", "AADSTS50105: Your administrator has configured the application to block users unless they are specifically granted access.", "user_not_assigned", "assign"),
    ("Requester", "NoPassive", "AADSTS50058: A silent sign-in request was sent but no user is signed in.", "interaction_required", "interact"),
    ("Requester", None, "AADSTS50011: The reply URL specified in the request does not match.", "saml_status_error", ACS_URL),
    ("Requester", None, "AADSTS700016: Application with identifier was not found in the directory.", "saml_status_error", SP_ENTITY_ID),
    ("Responder", None, "AADSTS90099: <script>alert(1)</script>", "saml_status_error", "AADSTS90099"),
])
def test_entra_status_becomes_an_actionable_code(connection, status, sub_status, message, code, says):
    xml = saml_idp.build_error_response(tenant_id=TENANT_ID, in_response_to=REQUEST_ID, acs_url=ACS_URL,
                                        status=status, sub_status=sub_status, message=message)
    error = _rejected(connection, xml)
    assert error.code == code and says in error.message
    assert "<script>" not in error.message  # Entra's (unsigned, forgeable) text is never echoed


# What comes out

def test_claims_are_pulled_out_of_the_verified_assertion(connection, idp_key):
    assertion = _validate(connection, entra_response(idp_key))
    profile = profile_of(assertion, connection)
    assert (assertion.tenant_id, profile["idp_id"], profile["email"]) == (TENANT_ID, ADA["oid"], ADA["email"])
    assert profile["raw_attributes"]["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"] == [ADA["upn"]]
    assert (profile["name"], profile["first_name"], profile["last_name"]) == (ADA["name"], ADA["given_name"], ADA["family_name"])
    assert profile["groups"] == ADA["groups"] and not profile["groups_overage"]
    assert assertion.issuer == f"https://sts.windows.net/{TENANT_ID}/"
    assert assertion.name_id_format == saml_idp.NAME_ID_FORMATS["persistent"]
    assert assertion.attributes["http://schemas.microsoft.com/identity/claims/objectidentifier"] == [ADA["oid"]]


def test_groups_overage(connection, idp_key):
    user = {**ADA, "groups": [f"5f3a2c1e-0000-4000-8000-{i:012d}" for i in range(151)]}
    profile = profile_of(_validate(connection, entra_response(idp_key, user=user)), connection)
    assert profile["groups"] == [] and profile["groups_overage"]


def test_attribute_mapping_names_other_claims(connection, idp_key):
    mapped = dataclasses.replace(connection, attribute_mapping={"email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"})
    user = {**ADA, "email": None}
    assert profile_of(_validate(mapped, entra_response(idp_key, user=user)), mapped)["email"] == ADA["upn"]


def test_two_object_ids_are_rejected(connection, idp_key):
    def second_value(root):
        for attribute in assertion_of(root).iter(q(SAML, "Attribute")):
            if attribute.get("Name").endswith("/objectidentifier"):
                attribute.append(attribute.makeelement(q(SAML, "AttributeValue")))
                attribute[-1].text = "00000000-0000-4000-8000-00000000ad01"
    assert _rejected(connection, resign(entra_response(idp_key), idp_key, second_value)).code == "saml_malformed"


def test_tenant_claim_must_be_the_issuers_tenant(connection, idp_key):
    def other_tenant(root):
        for attribute in assertion_of(root).iter(q(SAML, "Attribute")):
            if attribute.get("Name").endswith("/tenantid"):
                attribute[0].text = "00000000-0000-4000-8000-000000000bad"
    assert _rejected(connection, resign(entra_response(idp_key), idp_key, other_tenant)).code == "saml_issuer_mismatch"


def test_duplicate_attribute_is_rejected_not_raised(connection, idp_key):
    def duplicate(root):
        statement = assertion_of(root).find(q(SAML, "AttributeStatement"))
        statement.append(statement[1].__copy__())
    assert _rejected(connection, resign(entra_response(idp_key), idp_key, duplicate)).code == "saml_malformed"


def test_missing_name_id_is_rejected(connection, idp_key):
    def drop_name_id(root):
        subject = assertion_of(root).find(q(SAML, "Subject"))
        subject.remove(subject.find(q(SAML, "NameID")))
    assert _rejected(connection, resign(entra_response(idp_key), idp_key, drop_name_id)).code == "saml_name_id_missing"


@pytest.mark.parametrize("where", ["assertion", "response"])
def test_empty_issuer_is_rejected(connection, idp_key, where):
    def empty_issuer(root):
        (assertion_of(root) if where == "assertion" else root).find(q(SAML, "Issuer")).text = None
    assert _rejected(connection, resign(entra_response(idp_key), idp_key, empty_issuer)).code == "saml_issuer_mismatch"


def test_other_issuer_is_rejected(connection, idp_key):
    other = dataclasses.replace(connection, idp_entity_id="https://sts.windows.net/00000000-0000-4000-8000-000000000bad/")
    assert _rejected(other, entra_response(idp_key)).code == "saml_issuer_mismatch"
