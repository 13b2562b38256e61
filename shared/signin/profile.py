"""The profile of the contract (`POST /api/sso/token`), built from verified OIDC claims or SAML
attributes. Pure functions: the caller passes what they depend on (the org's verified domains,
whether the connection is the org's own single-tenant app) and records events from EmailCheck.

`email_verified` is true only when all hold: the address came from the email claim/attribute
itself (preferred_username, upn and NameID are sign-in names, mutable and often not mailboxes),
its domain is one of the org's verified domains (exact match: a subdomain is another domain),
and Entra vouches for it: `xms_edov` true, or the connection is the org's own single-tenant app,
whose tenant only the org's admins can put addresses in. Otherwise any Entra tenant could send
`ceo@your-org.com` through a multi-tenant app.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Mapping, Sequence

from shared.saml.entra_claims import GROUPS_LINK, XMS_EDOV, attribute_names

ID_PREFIX = "user_"


@dataclass(frozen=True)
class EmailCheck:
    email: str | None
    source: str | None  # the claim or attribute it came from
    domain: str | None  # lowercase; the caller can look up which org verified it
    verified: bool
    reason: str | None  # when not verified: no_email, not_email_claim, domain_not_verified, not_vouched_by_entra


def user_id(connection_id: str, entra_tenant_id: str, idp_id: str) -> str:
    """Stable per (connection, tenant, user): SHA-256 of the three, length-prefixed so no two
    triples encode alike; 160 bits in lowercase base32."""
    encoded = b"".join(len(part.encode()).to_bytes(4, "big") + part.encode()
                       for part in (connection_id, entra_tenant_id.lower(), idp_id))
    digest = hashlib.sha256(b"entra-sso user id v1\0" + encoded).digest()
    return ID_PREFIX + base64.b32encode(digest[:20]).decode("ascii").lower()


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "1"))


def _as_email(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    local, at, domain = value.strip().rpartition("@")
    return value.strip() if at and local and domain else None


def check_email(candidates: Sequence[tuple[str, object]], *, verified_source: str, verified_domains: Sequence[str], vouched: bool) -> EmailCheck:
    """The first candidate (source, value) that is an address, and whether it counts as verified."""
    email, source = next(((e, s) for s, v in candidates if (e := _as_email(v))), (None, None))
    if email is None:
        return EmailCheck(None, None, None, False, "no_email")
    domain = email.rpartition("@")[2].lower().rstrip(".")
    if source != verified_source:
        reason = "not_email_claim"
    elif domain not in {d.lower().rstrip(".") for d in verified_domains}:
        reason = "domain_not_verified"
    elif not vouched:
        reason = "not_vouched_by_entra"
    else:
        reason = None
    return EmailCheck(email, source, domain, reason is None, reason)


def _names(name: object, given: object, family: object) -> tuple[str | None, str | None, str | None]:
    """(name, first_name, last_name); a missing first/last is taken from splitting the name."""
    name = name.strip() if isinstance(name, str) and name.strip() else None
    first = given.strip() if isinstance(given, str) and given.strip() else None
    last = family.strip() if isinstance(family, str) and family.strip() else None
    if name and not (first or last):
        first, _, rest = name.partition(" ")
        last = rest.strip() or None
    if not name and (first or last):
        name = " ".join(part for part in (first, last) if part)
    return name, first, last


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _profile(*, organization: str, connection_id: str, protocol: str, entra_tenant_id: str, idp_id: str, email: EmailCheck,
             names: tuple, groups: list[str], groups_overage: bool, raw_attributes: dict) -> dict:
    return {
        "id": user_id(connection_id, entra_tenant_id, idp_id),
        "organization": organization,
        "connection": connection_id,
        "protocol": protocol,
        "idp_id": idp_id,
        "entra_tenant_id": entra_tenant_id.lower(),
        "email": email.email,
        "email_verified": email.verified,
        "name": names[0],
        "first_name": names[1],
        "last_name": names[2],
        "groups": groups,
        "groups_overage": groups_overage,
        "raw_attributes": raw_attributes,
    }


def oidc_profile(claims: Mapping, *, organization: str, connection_id: str, verified_domains: Sequence[str],
                 own_single_tenant_app: bool) -> tuple[dict, EmailCheck]:
    """From the claims of a validated ID token (tid and oid are present: validation requires them)."""
    email = check_email([(source, claims.get(source)) for source in ("email", "preferred_username", "upn")],
                        verified_source="email", verified_domains=verified_domains,
                        vouched=_truthy(claims.get("xms_edov")) or own_single_tenant_app)
    claim_names = claims.get("_claim_names")
    # Over the group limit Entra sends a pointer to Graph instead of `groups` (hasgroups in the implicit flow).
    overage = "groups" not in claims and ((isinstance(claim_names, dict) and "groups" in claim_names) or claims.get("hasgroups") is True)
    profile = _profile(organization=organization, connection_id=connection_id, protocol="oidc", entra_tenant_id=claims["tid"],
                       idp_id=claims["oid"], email=email,
                       names=_names(claims.get("name"), claims.get("given_name"), claims.get("family_name")),
                       groups=_strings(claims.get("groups")), groups_overage=overage, raw_attributes=dict(claims))
    return profile, email


def saml_profile(attributes: Mapping[str, Sequence[str]], *, name_id: str, entra_tenant_id: str, organization: str,
                 connection_id: str, verified_domains: Sequence[str], own_single_tenant_app: bool,
                 attribute_mapping: Mapping[str, str] | None = None) -> tuple[dict, EmailCheck]:
    """From a verified assertion's attributes (name -> values); `attribute_mapping` is the
    connection's (profile field -> attribute name), over Entra's defaults (saml/entra_claims.py)."""
    names = attribute_names(attribute_mapping or {})

    def first(attribute: str) -> str | None:
        values = _strings(list(attributes.get(attribute, ())))
        return values[0] if values else None

    email = check_email([("email", first(names["email"])), ("name_id", name_id)], verified_source="email",
                        verified_domains=verified_domains, vouched=_truthy(first(XMS_EDOV)) or own_single_tenant_app)
    groups = _strings(list(attributes.get(names["groups"], ())))
    profile = _profile(organization=organization, connection_id=connection_id, protocol="saml", entra_tenant_id=entra_tenant_id,
                       idp_id=first(names["idp_id"]) or name_id, email=email,
                       names=_names(first(names["name"]), first(names["first_name"]), first(names["last_name"])),
                       groups=groups, groups_overage=not groups and first(GROUPS_LINK) is not None,
                       raw_attributes={key: list(values) for key, values in attributes.items()})
    return profile, email
