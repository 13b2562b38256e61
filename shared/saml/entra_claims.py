"""Entra's SAML claims (names from Microsoft's "SAML token claims reference"): the one map from
profile fields to the attributes Entra sends them in, and the identity checks of a verified
assertion's attributes.

A connection's attribute mapping may name another attribute for a mappable field (say, the UPN
claim for `email`); the tenant id, the groups overage pointer and xms_edov are always Entra's own.
Parsing (response.py), the profile (shared/signin/profile.py) and the admin API's validation of
`attribute_mapping` (shared/orgs/connections.py) all read this one map.
"""
from __future__ import annotations

import re
from typing import Mapping, Sequence

from shared.platform.errors import SsoError

TENANT_ID = "http://schemas.microsoft.com/identity/claims/tenantid"
GROUPS_LINK = "http://schemas.microsoft.com/claims/groups.link"  # sent instead of the groups past 150 groups
XMS_EDOV = "http://schemas.microsoft.com/identity/claims/xms_edov"  # Entra vouches for the email's domain

# Profile field -> the attribute Entra sends it in (keys as in the admin API's attribute_mapping).
MAPPABLE_FIELDS: Mapping[str, str] = {
    "email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "name": "http://schemas.microsoft.com/identity/claims/displayname",
    "first_name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    "last_name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    "groups": "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
    "idp_id": "http://schemas.microsoft.com/identity/claims/objectidentifier",
}

_ENTRA_ISSUER = re.compile(r"https://sts\.windows\.net/([0-9a-fA-F-]{36})/")


def attribute_names(mapping: Mapping[str, str]) -> dict[str, str]:
    """Each mappable field's attribute for a connection: the one its mapping names, else Entra's."""
    return {**MAPPABLE_FIELDS, **mapping}


def _single(attributes: Mapping[str, Sequence[str]], attribute: str) -> str | None:
    values = attributes.get(attribute, ())
    if len(values) > 1:
        # Two tenant or user ids would make "who is this" a guess; Entra never sends that.
        raise SsoError("saml_malformed", f"The assertion carries {len(values)} values for {attribute}; an identity claim must have one.")
    return values[0] if values else None


def entra_tenant_id(attributes: Mapping[str, Sequence[str]], issuer: str, mapping: Mapping[str, str]) -> str | None:
    """The tenant of a verified assertion: its tenant id claim, else the tenant of an Entra issuer.
    Refuses an identity claim (tenant id, the user id field) with two values, and a tenant id
    claim that is not its issuer's tenant (the response was not issued by that tenant)."""
    tenant_id = _single(attributes, TENANT_ID)
    entra_issuer = _ENTRA_ISSUER.fullmatch(issuer)
    if entra_issuer and tenant_id is not None and tenant_id.lower() != entra_issuer.group(1).lower():
        raise SsoError("saml_issuer_mismatch", "The assertion's tenant id claim is not the tenant of its issuer; the response was not issued by that Entra tenant.")
    _single(attributes, attribute_names(mapping)["idp_id"])
    return tenant_id or (entra_issuer.group(1) if entra_issuer else None)
