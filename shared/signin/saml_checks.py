"""The checks a SAML test sign-in lists on the diagnostic page, as the OIDC one lists its ID-token checks.

python3-saml and shared/saml/response.py run the checks in their own order and stop at the
first failure, so a refused response names one failed check; the other rows are shown as not
checked rather than guessed. A response that passed
lists every check with the value it was held to.
"""
from __future__ import annotations

from shared.oidc.id_token import CheckResult
from shared.orgs.records import Connection
from shared.platform.certificates import certificate_facts
from shared.platform.errors import SsoError
from shared.platform.timestamps import iso

CHECKS = ("response", "signature", "issuer", "audience", "destination", "recipient", "conditions", "InResponseTo", "NameID")
_CHECK_OF_ERROR = {
    "saml_malformed": "response", "saml_response_too_large": "response", "saml_dtd_forbidden": "response",
    "saml_multiple_assertions": "response", "saml_encrypted_assertion": "response", "saml_status_error": "response",
    "saml_signature_invalid": "signature", "saml_assertion_unsigned": "signature", "saml_deprecated_algorithm": "signature",
    "saml_issuer_mismatch": "issuer",
    "saml_audience_mismatch": "audience",
    "saml_destination_mismatch": "destination",
    "saml_recipient_mismatch": "recipient",
    "saml_expired": "conditions", "saml_not_yet_valid": "conditions",
    "saml_in_response_to_mismatch": "InResponseTo", "saml_unsolicited_response": "InResponseTo",
    "saml_name_id_missing": "NameID",
}


def _thumbprints(connection: Connection) -> str:
    return ", ".join(certificate_facts(pem)[0] for pem in connection.idp_certificates)


def passed_checks(assertion, connection: Connection, acs_url: str, expected_request_id: str | None) -> list[CheckResult]:
    """Every check of a response that passed, each with the value it was held to."""
    in_response_to = (f"answers this sign-in's AuthnRequest {expected_request_id}" if expected_request_id
                      else "none: an IdP-initiated sign-in, which the connection allows (allow_idp_initiated)")
    name_id = f"{assertion.name_id}" + (f" (format {assertion.name_id_format})" if assertion.name_id_format else "")
    messages = {
        "response": "a SAML 2.0 Response with status Success, exactly one assertion, no DTD, not encrypted",
        "signature": f"the assertion is signed (SHA-256 or stronger) and verifies against the IdP certificate(s) {_thumbprints(connection)}",
        "issuer": f"{assertion.issuer}, the connection's IdP entity id",
        "audience": f"{connection.sp_entity_id}, the connection's sp_entity_id",
        "destination": f"{acs_url}, the connection's acs_url",
        "recipient": f"{acs_url} in every bearer SubjectConfirmationData",
        "conditions": f"valid now (within the allowed clock skew); its id is kept against replay until {iso(assertion.not_on_or_after)}",
        "InResponseTo": in_response_to,
        "NameID": name_id,
    }
    return [CheckResult(name, True, messages[name], None) for name in CHECKS]


def failed_checks(err: SsoError) -> list[CheckResult]:
    """The check a refused response failed, and the others as not checked. An error that is not
    one of the response's checks (policy, replay, outage) means the response was never judged
    or was judged fine: the caller passes passed_checks then."""
    failed = _CHECK_OF_ERROR.get(err.code)
    return [CheckResult(name, False, err.message, err.code) if name == failed
            else CheckResult(name, None, "not checked: the response was refused at another check", None)
            for name in CHECKS]
