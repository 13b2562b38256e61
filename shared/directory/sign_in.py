"""Who a sign-in is in the org's directories: matched on the Entra object id where the directory
carries it (`idp_id_attribute`, e.g. objectId mapped to externalId), else on userName = the UPN
(`preferred_username`/`upn` over OIDC, the name claim over SAML); never on a mere email, which
any tenant can assert. Read fresh (no cache), so a deactivation counts at the next sign-in.

An org without directories costs nothing (its record lists them); with one: the directory
record, one index row, the user, and its groups."""
from __future__ import annotations

from dataclasses import dataclass

from shared.directory import directories, keys, memberships, users
from shared.directory.directories import TABLE
from shared.directory.records import Directory, DirectoryUser
from shared.directory.views import group_names
from shared.orgs.records import Organization
from shared.storage import tables

SAML_UPN = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"


@dataclass(frozen=True)
class Match:
    directory: Directory
    user: DirectoryUser

    @property
    def active(self) -> bool:
        return self.user.scim.get("active", True) is not False


def _upn(profile: dict) -> str | None:
    raw = profile.get("raw_attributes") or {}
    if profile.get("protocol") == "saml":
        values = raw.get(SAML_UPN) or []
        return values[0] if values and isinstance(values[0], str) else None
    for claim in ("preferred_username", "upn"):
        if isinstance(raw.get(claim), str) and raw[claim]:
            return raw[claim]
    return None


def _applies(directory: Directory, connection_id: str) -> bool:
    return directory.connection in (None, connection_id)


def match(org: Organization, connection_id: str, profile: dict) -> Match | None:
    for directory_id in org.directory_ids:
        stored = directories.get(directory_id)
        if stored is None or not _applies(stored.doc, connection_id):
            continue
        directory = stored.doc
        if directory.idp_id_attribute == "externalId":
            key = keys.user_external_id(str(profile.get("idp_id") or ""))
        else:
            upn = _upn(profile)
            if not upn:
                continue
            key = keys.user_name(upn)
        row = tables.get(TABLE, directory.id, key)
        user = users.get(directory.id, row.doc["id"]) if row else None
        if user is not None:
            return Match(directory, user.doc)
    return None


def by_email(org: Organization, email: str) -> list[DirectoryUser]:
    """For the sign-in policy of an email (before any sign-in): the directory users whose userName
    or an email is `email`. The policy only decides whether SSO is required; who signs in is still
    matched by `match`."""
    found = []
    for directory_id in org.directory_ids:
        row = tables.get(TABLE, directory_id, keys.user_name(email))
        if row is not None:
            user = users.get(directory_id, row.doc["id"])
            if user is not None:
                found.append(user.doc)
                continue
        rows = tables.query_all(TABLE, tables.PREFIX_FILTER, {"partition": directory_id, **tables.prefix_range(keys.email_prefix(email))}, limit=5)
        for user_id in dict.fromkeys(r.doc["id"] for r in rows):
            user = users.get(directory_id, user_id)
            if user is not None:
                found.append(user.doc)
    return found


def groups_of(found: Match) -> list[dict]:
    return group_names(found.directory.id, memberships.of_user(found.directory.id, found.user.id))
