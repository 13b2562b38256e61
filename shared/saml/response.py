"""The ACS: a SAML Response from Entra, validated by python3-saml in strict mode, with its gaps closed.

python3-saml checks version, status, one assertion, schema, issuers, conditions and timestamps,
audience (when present), signed elements and their signatures against the configured
certificates (never KeyInfo's), SHA-1 (wantAssertionsSigned, rejectDeprecatedAlgorithm), and reads
NameID and attributes only from the signed assertion, through a parser that drops comments. We
add what it leaves open:

- only RSA-SHA256/384/512, exclusive c14n, the enveloped transform and one Reference to the
  signed element's own ID, which no other element carries, checked before xmlsec runs any
  transform (signature_policy);
- Destination present and exactly our ACS URL (python3-saml: absent is fine, else a prefix);
- every bearer SubjectConfirmationData: Recipient exactly our ACS URL (python3-saml: a
  substring), NotOnOrAfter present (python3-saml: optional, so the assertion would never expire);
- InResponseTo on the Response and in every bearer SubjectConfirmationData equal to the stored
  request id when there is one (python3-saml accepts a response with none); when there is none
  (IdP-initiated), no InResponseTo at all: a response to some request we hold no state for is
  not a fresh IdP-initiated sign-in, and one that was (no InResponseTo) needs allow_idp_initiated;
- every AudienceRestriction names our SP entity id, and there is at least one (python3-saml
  accepts an assertion without audience);
- the Issuers are the IdP's entity id (python3-saml skips an empty one);
- Conditions within CLOCK_SKEW (180 s) rather than 300 s (toolkit_patches);
- every toolkit exception (DTDs, entities, duplicate attributes, bad base64 or XML, oversized
  input, encrypted assertions) becomes an SsoError with a stable code (toolkit_errors).

The caller keeps `assertion_id` until `not_on_or_after` (the replay cache) and looks up
`expected_request_id` in its stored login state.
"""
from __future__ import annotations

import base64
import calendar
import datetime
from dataclasses import dataclass
from urllib.parse import urlsplit

from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.utils import OneLogin_Saml2_Utils, OneLogin_Saml2_ValidationError
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

from shared.platform.errors import SsoError
from shared.saml.connection import SamlConnection
from shared.saml.entra_claims import entra_tenant_id
from shared.saml.entra_status import status_error
from shared.saml.signature_policy import check_signatures
from shared.saml.sp_settings import toolkit_settings
from shared.saml.toolkit_errors import malformed, sso_error
from shared.saml.toolkit_patches import CLOCK_SKEW, toolkit_clock

MAX_RESPONSE_CHARS = 512 * 1024  # Entra's responses are a few KiB, some 30 KiB with 150 groups

_SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"


@dataclass(frozen=True)
class ValidatedAssertion:
    assertion_id: str
    not_on_or_after: datetime.datetime  # keep assertion_id in the replay cache at least until then
    issuer: str
    name_id: str
    name_id_format: str | None
    attributes: dict[str, list[str]]
    tenant_id: str | None  # the tenant id claim, else the tenant of an Entra issuer (entra_claims)


def validate_response(config: SamlConnection, saml_response_b64: str, *, base_url: str,
                      expected_request_id: str | None, now: datetime.datetime | None = None) -> ValidatedAssertion:
    now = now or datetime.datetime.now(datetime.timezone.utc)
    acs = config.acs_url(base_url)
    sp_entity_id = config.entity_id(base_url)
    encoded = _checked_base64(saml_response_b64)
    with toolkit_clock(now):
        try:
            response = OneLogin_Saml2_Response(toolkit_settings(config, base_url), encoded)
            check_signatures(response.document)
            response.is_valid(_request_data(acs), expected_request_id, raise_exceptions=True)
            name_id = response.get_nameid_data()
            attributes = response.get_attributes()
        except SsoError:
            raise
        except OneLogin_Saml2_ValidationError as error:
            if error.code == OneLogin_Saml2_ValidationError.STATUS_CODE_IS_NOT_SUCCESS:
                raise status_error(response.document, acs_url=acs, sp_entity_id=sp_entity_id) from None
            if error.code in _ADDRESSING_ERRORS:
                # Ours are stricter than the toolkit's, so they refuse it too, naming what to fix.
                _check_addressing(response.document, config, acs, sp_entity_id, expected_request_id, now)
            raise sso_error(error) from None
        except Exception as error:  # the toolkit also raises plain exceptions (DTDs, XML syntax, timestamps)
            raise sso_error(error) from None

    # The assertion now is the signed one: python3-saml allowed exactly one in the document.
    assertion, confirmed_until = _check_addressing(response.document, config, acs, sp_entity_id, expected_request_id, now)
    issuer = _check_issuers(response.document, assertion, config.idp_entity_id)
    values = {name: [v for v in found if isinstance(v, str)] for name, found in attributes.items()}
    return ValidatedAssertion(
        assertion_id=assertion.get("ID"),
        not_on_or_after=confirmed_until + CLOCK_SKEW,
        issuer=issuer,
        name_id=name_id["Value"],
        name_id_format=name_id.get("Format"),
        attributes=values,
        tenant_id=entra_tenant_id(values, issuer, config.attribute_mapping),
    )


_ADDRESSING_ERRORS = {
    OneLogin_Saml2_ValidationError.WRONG_DESTINATION, OneLogin_Saml2_ValidationError.EMPTY_DESTINATION,
    OneLogin_Saml2_ValidationError.WRONG_AUDIENCE, OneLogin_Saml2_ValidationError.WRONG_SUBJECTCONFIRMATION,
}


def _check_addressing(document, config: SamlConnection, acs: str, sp_entity_id: str, expected: str | None,
                      now: datetime.datetime):
    """Is it for us (Destination, Recipient, audience) and for this sign-in (InResponseTo)?
    Returns the assertion and the latest NotOnOrAfter of its bearer confirmations."""
    assertion = _assertion(document)
    if document.get("Destination") != acs:
        raise SsoError("saml_destination_mismatch", _reply_url_message(acs))
    _check_in_response_to(document.get("InResponseTo"), expected, config.allow_idp_initiated)
    confirmed_until = _check_subject_confirmations(assertion, acs, expected, now)
    _check_audiences(assertion, sp_entity_id)
    return assertion, confirmed_until


def _check_issuers(document, assertion, idp_entity_id: str) -> str:
    """The assertion's Issuer, and the Response's when it has one, is the IdP (python3-saml skips
    an empty Issuer)."""
    assertion_issuer = assertion.find(f"{_SAML}Issuer")
    issuers = [assertion_issuer, *document.findall(f"{_SAML}Issuer")]
    if assertion_issuer is None or any(OneLogin_Saml2_XML.element_text(issuer) != idp_entity_id for issuer in issuers):
        raise SsoError("saml_issuer_mismatch")
    return idp_entity_id


def _checked_base64(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise malformed("is missing (no SAMLResponse form field)")
    if len(value) > MAX_RESPONSE_CHARS:
        raise SsoError("saml_response_too_large")
    compact = "".join(value.split())  # some IdPs wrap base64 lines
    try:
        xml = base64.b64decode(compact, validate=True)  # python3-saml's decoder skips non-base64 bytes silently
    except ValueError:  # binascii.Error, or a non-ASCII character (a plain ValueError)
        raise malformed("is not base64") from None
    # The toolkit's parser refuses a DOCTYPE too, but libxml2 may stop first on an entity bomb
    # with a plain syntax error; this names the attack whatever libxml2 says.
    if b"<!DOCTYPE" in xml:
        raise SsoError("saml_dtd_forbidden")
    return compact


def _request_data(acs: str) -> dict:
    """What python3-saml calls the current URL: our ACS URL, built from SSO_PUBLIC_BASE_URL."""
    parts = urlsplit(acs)
    return {"https": "on" if parts.scheme == "https" else "off", "http_host": parts.netloc, "script_name": parts.path}


def _assertion(document):
    assertions = document.findall(f"{_SAML}Assertion")
    if len(assertions) != 1:
        raise SsoError("saml_multiple_assertions")
    return assertions[0]


def _check_in_response_to(in_response_to: str | None, expected: str | None, allow_idp_initiated: bool) -> None:
    if expected is not None and in_response_to != expected:
        raise SsoError("saml_in_response_to_mismatch", "The SAML response does not answer the sign-in request this browser started; start the sign-in again from the application.")
    if expected is None and in_response_to is not None:
        raise SsoError("saml_in_response_to_mismatch", "The SAML response answers a sign-in request that is unknown, expired or already used; start the sign-in again from the application.")
    if expected is None and not allow_idp_initiated:
        raise SsoError("saml_unsolicited_response")


def _check_subject_confirmations(assertion, acs: str, expected: str | None, now: datetime.datetime) -> datetime.datetime:
    """Every bearer SubjectConfirmationData is for our ACS, this request, and still valid; returns
    the latest NotOnOrAfter."""
    bearer = [c for c in assertion.iterfind(f"{_SAML}Subject/{_SAML}SubjectConfirmation")
              if c.get("Method") == OneLogin_Saml2_Constants.CM_BEARER]
    if not bearer:
        raise malformed("has no bearer SubjectConfirmation")
    instant = calendar.timegm(now.utctimetuple())
    latest = None
    for confirmation in bearer:
        data = confirmation.find(f"{_SAML}SubjectConfirmationData")
        if data is None or not data.get("NotOnOrAfter"):
            raise malformed("has a bearer SubjectConfirmation without NotOnOrAfter")
        if data.get("Recipient") != acs:
            raise SsoError("saml_recipient_mismatch", _reply_url_message(acs))
        if data.get("InResponseTo") != expected:
            raise SsoError("saml_in_response_to_mismatch", "The assertion was not issued for the sign-in request this browser started; start the sign-in again from the application.")
        not_on_or_after = _timestamp(data.get("NotOnOrAfter"))
        if not_on_or_after <= instant:
            raise SsoError("saml_expired")
        if data.get("NotBefore") and _timestamp(data.get("NotBefore")) > instant:
            raise SsoError("saml_not_yet_valid")
        latest = max(latest or not_on_or_after, not_on_or_after)
    return datetime.datetime.fromtimestamp(latest, datetime.timezone.utc)


def _timestamp(value: str) -> int:
    try:
        return OneLogin_Saml2_Utils.parse_SAML_to_time(value)
    except Exception:  # the toolkit raises a bare Exception
        raise malformed("has a timestamp that is not an xs:dateTime") from None


def _check_audiences(assertion, sp_entity_id: str) -> None:
    restrictions = assertion.findall(f"{_SAML}Conditions/{_SAML}AudienceRestriction")
    if not restrictions or any(
            sp_entity_id not in [OneLogin_Saml2_XML.element_text(a) for a in r.findall(f"{_SAML}Audience")]
            for r in restrictions):
        raise SsoError("saml_audience_mismatch", f"The assertion is not for this connection: set the Identifier (Entity ID) of the enterprise app's Basic SAML Configuration in Entra to {sp_entity_id}.")


def _reply_url_message(acs: str) -> str:
    return f"The SAML response was addressed to another URL: set the Reply URL (Assertion Consumer Service URL) of the enterprise app's Basic SAML Configuration in Entra to exactly {acs}."
