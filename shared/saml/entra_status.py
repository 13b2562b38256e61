"""A SAML Response whose status is not Success, as our stable codes with the sentence that fixes it.

Entra puts its AADSTS code in StatusMessage. Such a response is unsigned and anyone can post
one to the ACS, so only the AADSTS number and the status code names are read, never the text.
"""
from __future__ import annotations

import re

from onelogin.saml2.utils import OneLogin_Saml2_Utils

from shared.platform.errors import SsoError

_BY_AADSTS = {
    50105: "user_not_assigned",
    90002: "tenant_not_found",
    50058: "interaction_required",  # a passive request, and the user has no session
    50076: "interaction_required",  # MFA needed
    50079: "interaction_required",  # MFA registration needed
}
_BY_STATUS = {"NoPassive": "interaction_required"}
_AADSTS = re.compile(r"\bAADSTS(\d{1,9})\b")
_STATUS_NAME = re.compile(r"urn:oasis:names:tc:SAML:2\.0:status:([A-Za-z]{1,40})")


def status_error(document, *, acs_url: str, sp_entity_id: str) -> SsoError:
    status = OneLogin_Saml2_Utils.get_status(document)
    names = [_STATUS_NAME.fullmatch(node.get("Value") or "") for node in document.iterfind(
        "{urn:oasis:names:tc:SAML:2.0:protocol}Status//{urn:oasis:names:tc:SAML:2.0:protocol}StatusCode")]
    names = [match.group(1) for match in names if match]
    found = _AADSTS.search(status.get("msg") or "")
    aadsts = int(found.group(1)) if found else None
    code = _BY_AADSTS.get(aadsts) or next((_BY_STATUS[n] for n in names if n in _BY_STATUS), "saml_status_error")
    detail = {"status": "/".join(names), "aadsts": aadsts}
    return SsoError(code, _message(code, aadsts, names, acs_url, sp_entity_id), detail=detail)


def _message(code: str, aadsts: int | None, names: list[str], acs_url: str, sp_entity_id: str) -> str | None:
    if code != "saml_status_error":
        return None  # the catalogue's sentence
    if aadsts == 50011:
        return f"Entra refused the reply URL: set the Reply URL (Assertion Consumer Service URL) of the enterprise app's Basic SAML Configuration to {acs_url}."
    if aadsts == 700016:
        return f"Entra has no application with this identifier: set the Identifier (Entity ID) of the enterprise app's Basic SAML Configuration to {sp_entity_id}."
    if "InvalidNameIDPolicy" in names:
        return "Entra cannot issue the NameID: set the enterprise app's Unique User Identifier (Name ID) to an attribute every user has, e.g. user.userprincipalname."
    if aadsts is not None:
        return (f"Entra refused the sign-in with AADSTS{aadsts}; look it up at https://login.microsoftonline.com/error?code={aadsts} "
                "and fix the enterprise app's SAML configuration accordingly.")
    return f"Entra refused the sign-in ({'/'.join(names) or 'no status code'}); check the enterprise app's SAML configuration and that the user may use it."
