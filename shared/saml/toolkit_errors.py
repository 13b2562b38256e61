"""python3-saml's exceptions as our stable codes.

The toolkit raises as well as returns: DTDs and entities (DTDForbidden, EntitiesForbidden), XML
syntax, duplicate attribute names, an encrypted assertion without a key, a malformed timestamp
(a bare Exception). Every one of them becomes an SsoError here, so bad input never turns into a
500. Messages name what we expect, never what the response says.
"""
from __future__ import annotations

from lxml import etree
from onelogin.saml2.errors import OneLogin_Saml2_Error
from onelogin.saml2.errors import OneLogin_Saml2_ValidationError as V
from onelogin.saml2.xmlparser import DTDForbidden, EntitiesForbidden, NotSupportedError

from shared.platform.errors import SsoError

_MALFORMED = {
    V.UNSUPPORTED_SAML_VERSION: "is not SAML 2.0",
    V.MISSING_ID: "has no ID",
    V.MISSING_STATUS: "has no Status",
    V.MISSING_STATUS_CODE: "has no StatusCode",
    V.INVALID_XML_FORMAT: "does not match the SAML 2.0 protocol schema",
    V.MISSING_CONDITIONS: "has no Conditions in its assertion",
    V.WRONG_NUMBER_OF_AUTHSTATEMENTS: "needs exactly one AuthnStatement in its assertion",
    V.NO_ATTRIBUTESTATEMENT: "has no AttributeStatement in its assertion",
    V.DUPLICATED_ATTRIBUTE_NAME_FOUND: "repeats an Attribute name",
    V.WRONG_SUBJECTCONFIRMATION: "has no valid bearer SubjectConfirmation",
}
_SIGNATURE = {
    V.WRONG_SIGNED_ELEMENT, V.ID_NOT_FOUND_IN_SIGNED_ELEMENT, V.DUPLICATED_ID_IN_SIGNED_ELEMENTS,
    V.INVALID_SIGNED_ELEMENT, V.DUPLICATED_REFERENCE_IN_SIGNED_ELEMENTS, V.UNEXPECTED_SIGNED_ELEMENTS,
    V.WRONG_NUMBER_OF_SIGNATURES_IN_RESPONSE, V.WRONG_NUMBER_OF_SIGNATURES_IN_ASSERTION,
    V.WRONG_NUMBER_OF_SIGNATURES, V.INVALID_SIGNATURE,
}
_ENCRYPTION = {V.ENCRYPTED_ATTRIBUTES, V.KEYINFO_NOT_FOUND_IN_ENCRYPTED_DATA, V.CHILDREN_NODE_NOT_FOUND_IN_KEYINFO,
               V.UNSUPPORTED_RETRIEVAL_METHOD, V.NO_ENCRYPTED_ASSERTION, V.NO_ENCRYPTED_NAMEID}
_BY_CODE = {
    V.WRONG_NUMBER_OF_ASSERTIONS: "saml_multiple_assertions",
    V.NO_SIGNED_ASSERTION: "saml_assertion_unsigned",
    V.NO_SIGNATURE_FOUND: "saml_assertion_unsigned",
    V.NO_SIGNED_MESSAGE: "saml_assertion_unsigned",
    V.DEPRECATED_SIGNATURE_METHOD: "saml_deprecated_algorithm",
    V.DEPRECATED_DIGEST_METHOD: "saml_deprecated_algorithm",
    V.WRONG_INRESPONSETO: "saml_in_response_to_mismatch",
    V.ASSERTION_TOO_EARLY: "saml_not_yet_valid",
    V.ASSERTION_EXPIRED: "saml_expired",
    V.SESSION_EXPIRED: "saml_expired",
    V.RESPONSE_EXPIRED: "saml_expired",
    V.WRONG_DESTINATION: "saml_destination_mismatch",
    V.EMPTY_DESTINATION: "saml_destination_mismatch",
    V.WRONG_AUDIENCE: "saml_audience_mismatch",
    V.SP_NAME_QUALIFIER_NAME_MISMATCH: "saml_audience_mismatch",
    V.WRONG_ISSUER: "saml_issuer_mismatch",
    V.ISSUER_MULTIPLE_IN_RESPONSE: "saml_issuer_mismatch",
    V.ISSUER_NOT_FOUND_IN_ASSERTION: "saml_issuer_mismatch",
    V.NO_NAMEID: "saml_name_id_missing",
    V.EMPTY_NAMEID: "saml_name_id_missing",
}


def sso_error(error: Exception) -> SsoError:
    """The SsoError for anything python3-saml (or lxml/xmlsec beneath it) raised."""
    if isinstance(error, (DTDForbidden, EntitiesForbidden, NotSupportedError)):
        return SsoError("saml_dtd_forbidden")
    if isinstance(error, etree.XMLSyntaxError):
        return malformed("is not well-formed XML")
    if isinstance(error, OneLogin_Saml2_Error) and error.code == OneLogin_Saml2_Error.PRIVATE_KEY_NOT_FOUND:
        return SsoError("saml_encrypted_assertion")  # an EncryptedAssertion, and the ACS holds no key
    if isinstance(error, V):
        if error.code in _MALFORMED:
            return malformed(_MALFORMED[error.code])
        if error.code in _SIGNATURE:
            return SsoError("saml_signature_invalid")
        if error.code in _ENCRYPTION:
            return SsoError("saml_encrypted_assertion")
        if error.code in _BY_CODE:
            return SsoError(_BY_CODE[error.code])
    return malformed("could not be read")  # e.g. a timestamp the toolkit cannot parse


def malformed(what: str) -> SsoError:
    return SsoError("saml_malformed", f"The SAML response {what}; start the sign-in again, and if it persists check the enterprise app's SAML settings in Entra.")
