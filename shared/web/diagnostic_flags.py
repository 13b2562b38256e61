"""Plain-language flags on a test sign-in's diagnostic page: what an IT admin most often has to
fix in Entra, said in words rather than claim names. Each flag says what was seen and the fix."""
from __future__ import annotations

import re

from shared.saml.entra_claims import GROUPS_LINK  # sent instead of the groups past 150
from shared.signin.outcome import DiagnosticPage

_FORMAT = re.compile(r"\(format ([^)\s]+)\)$")
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"


def _groups_overage(outcome: DiagnosticPage) -> bool:
    received = outcome.received or {}  # OIDC: the profile made from the claims; SAML: the attributes
    if received.get("groups_overage") is True:
        return True
    claim_names = received.get("_claim_names")
    return not received.get("groups") and ((isinstance(claim_names, dict) and "groups" in claim_names)
                                         or received.get("hasgroups") is True or GROUPS_LINK in received)


def _name_id_format(outcome: DiagnosticPage) -> str | None:
    """The NameID format the passed NameID check names (shared/signin/saml_checks.py: "<id> (format <uri>)")."""
    for name, passed, message, *_ in outcome.checks:
        found = _FORMAT.search(message or "") if name == "NameID" and passed else None
        if found:
            return found.group(1)
    return None


def flags(outcome: DiagnosticPage) -> list[str]:
    found = []
    email, saml = outcome.email, outcome.protocol == "saml"
    if email is not None and email.reason in ("no_email", "not_email_claim"):
        found.append("No email claim: Entra sent no email address as the email. " + (
            "In the enterprise app's Attributes & Claims, add the claim emailaddress = user.mail." if saml else
            "In the app registration's Token configuration, add the optional claim email to the ID token."))
    if email is not None and email.reason == "not_vouched_by_entra":
        found.append("Email not vouched for by Entra: without the xms_edov claim the email is never marked verified. "
                     "Add the optional claim xms_edov (Token configuration) to the ID token.")
    if _groups_overage(outcome):
        found.append("Groups overage: the user is in more groups than Entra puts in a token, so it sent a pointer instead of the groups. "
                     "Emit only the groups assigned to the application (groups claim → Groups assigned to the application).")
    name_id_format = _name_id_format(outcome)
    if saml and name_id_format and name_id_format != PERSISTENT:
        found.append(f"The NameID is not persistent (format {name_id_format}): if it changes (an email or UPN rename), the user becomes "
                     "someone new to the application. Set the Unique User Identifier to user.objectid with format Persistent.")
    if outcome.error is not None and outcome.error.code == "user_not_assigned":
        found.append("The user is not assigned to the application: assign the user or a group under Enterprise applications → "
                     "Users and groups, or turn off 'Assignment required'.")
    return found
