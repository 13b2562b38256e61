"""Entra's SAML claims (names from Microsoft's "SAML token claims reference"), pulled out of a
verified assertion's attributes.

A connection's attribute mapping may name another attribute for a profile field (say, the UPN
claim for `email`); the tenant id is always Entra's own claim.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from shared.platform.errors import SsoError

TENANT_ID = "http://schemas.microsoft.com/identity/claims/tenantid"
OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
DISPLAY_NAME = "http://schemas.microsoft.com/identity/claims/displayname"
GIVEN_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
SURNAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
UPN = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
GROUPS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
GROUPS_LINK = "http://schemas.microsoft.com/claims/groups.link"  # sent instead of GROUPS past 150 groups

# Profile field -> the attribute Entra sends it in (keys as in the admin API's attribute_mapping).
MAPPABLE_FIELDS: Mapping[str, str] = {
    "idp_id": OBJECT_ID,
    "email": EMAIL,
    "name": DISPLAY_NAME,
    "first_name": GIVEN_NAME,
    "last_name": SURNAME,
    "groups": GROUPS,
}

_ENTRA_ISSUER = re.compile(r"https://sts\.windows\.net/([0-9a-fA-F-]{36})/")


@dataclass(frozen=True)
class EntraClaims:
    tenant_id: str | None
    object_id: str | None
    email: str | None
    upn: str | None
    name: str | None
    given_name: str | None
    surname: str | None
    groups: tuple[str, ...]
    groups_overage: bool  # Entra sent groups.link: read the groups from Microsoft Graph


def entra_claims(attributes: Mapping[str, Sequence[str]], issuer: str, mapping: Mapping[str, str]) -> EntraClaims:
    names = {**MAPPABLE_FIELDS, **mapping}

    def single(attribute: str, *, identity: bool = False) -> str | None:
        values = attributes.get(attribute, ())
        if identity and len(values) > 1:
            # Two tenant or object ids would make "who is this" a guess; Entra never sends that.
            raise SsoError("saml_malformed", f"The assertion carries {len(values)} values for {attribute}; an identity claim must have one.")
        return values[0] if values else None

    tenant_id = single(TENANT_ID, identity=True)
    entra_issuer = _ENTRA_ISSUER.fullmatch(issuer)
    if entra_issuer and tenant_id is not None and tenant_id.lower() != entra_issuer.group(1).lower():
        raise SsoError("saml_issuer_mismatch", "The assertion's tenant id claim is not the tenant of its issuer; the response was not issued by that Entra tenant.")
    return EntraClaims(
        tenant_id=tenant_id or (entra_issuer.group(1) if entra_issuer else None),
        object_id=single(names["idp_id"], identity=True),
        email=single(names["email"]),
        upn=single(UPN),
        name=single(names["name"]),
        given_name=single(names["first_name"]),
        surname=single(names["last_name"]),
        groups=tuple(attributes.get(names["groups"], ())),
        groups_overage=GROUPS_LINK in attributes,
    )
