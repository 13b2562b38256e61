"""Connections: one Entra app registration wired to one organization, over OIDC or SAML.

Stored in the `connections` table, partition = connection id (callbacks and the ACS find a
connection by id alone), with `organization` as a filterable property. Client secrets and
private keys live in the secret store; the record keeps only their version and expiry.
"""
from __future__ import annotations

import hashlib
import secrets
import string
from datetime import date, datetime, timezone
from typing import get_args

from shared.orgs.records import Connection, Protocol
from shared.platform import validation as v
from shared.platform.errors import SsoError
from shared.platform.settings import get_settings
from shared.platform.timestamps import iso
from shared.saml.entra_claims import MAPPABLE_FIELDS
from shared.storage import tables
from shared.storage.record_cache import RecordCache

ROW = "connection"
CACHE_SECONDS = 15
PROTOCOLS = get_args(Protocol)
DEFAULT_SCOPES = "openid profile email"
MAX_CLIENT_SECRET_LENGTH = 256  # Entra's secrets are 40 characters; anything far longer is a paste error

COMMON_FIELDS = frozenset({"display_name", "enabled", "domains"})
OIDC_FIELDS = frozenset({"entra_tenant_id", "allowed_tenant_ids", "client_id", "client_secret", "client_secret_expires_on", "scopes"})
SAML_FIELDS = frozenset({
    "idp_metadata_url", "idp_metadata_xml", "idp_entity_id", "idp_sso_url", "idp_certificate",
    "sp_entity_id", "attribute_mapping", "allow_idp_initiated", "sign_authn_requests",
})
CREATE_FIELDS = frozenset({"protocol", "app", "credential_type"}) | COMMON_FIELDS | OIDC_FIELDS | SAML_FIELDS
PATCH_FIELDS = COMMON_FIELDS | OIDC_FIELDS | SAML_FIELDS
IDP_SOURCE_FIELDS = frozenset({"idp_metadata_url", "idp_metadata_xml", "idp_entity_id", "idp_sso_url", "idp_certificate"})
ATTRIBUTE_MAPPING_KEYS = tuple(MAPPABLE_FIELDS)  # the profile fields a SAML connection may map (saml/entra_claims.py)

_cache: RecordCache[tables.Stored[Connection]] = RecordCache(CACHE_SECONDS)


def new_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "conn_" + "".join(secrets.choice(alphabet) for _ in range(20))


# What a connection keeps in the secret store, each at `{connection id}/{purpose}`.
CLIENT_SECRET = "client-secret"
CERTIFICATE_KEY = "certificate-key"  # the private key of a certificate credential
SP_SIGNING_KEY = "sp-signing-key"  # the SAML SP key that signs AuthnRequests
SECRET_PURPOSES = (CLIENT_SECRET, CERTIFICATE_KEY, SP_SIGNING_KEY)


def secret_name(connection_id: str, purpose: str = CLIENT_SECRET) -> str:
    return f"{connection_id}/{purpose}"


def parse_expiry_date(field: str, value) -> str:
    """`YYYY-MM-DD`, not in the past."""
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise v.invalid(field, "a date as YYYY-MM-DD (the secret's Expires date in Entra)")
    if day < datetime.now(timezone.utc).date():
        raise SsoError("invalid_field", f"`{field}` {value} is in the past: create a new client secret in Entra and send its value and expiry.")
    return day.isoformat()


def client_secret_value(field: str, value) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_CLIENT_SECRET_LENGTH:
        raise v.invalid(field, f"the client secret's Value from Entra (not its Secret ID), at most {MAX_CLIENT_SECRET_LENGTH} characters")
    return value.strip()


def _tenant(field: str, value) -> str:
    if value == "organizations":
        return value
    return v.guid(field, value)


def _scopes(field: str, value) -> str:
    if not isinstance(value, str) or not all(part and part.isprintable() and '"' not in part for part in value.split(" ")) or len(value) > 1000:
        raise v.invalid(field, "space-separated scopes, e.g. `openid profile email`")
    parts = value.split(" ")
    if "openid" not in parts:
        raise v.invalid(field, "scopes that include `openid`")
    return value


def _attribute_mapping(field: str, value) -> dict:
    if not isinstance(value, dict) or not set(value) <= set(ATTRIBUTE_MAPPING_KEYS):
        raise v.invalid(field, "an object mapping " + ", ".join(ATTRIBUTE_MAPPING_KEYS) + " to SAML attribute names")
    return {key: v.text(f"{field}.{key}", name, max_length=512) for key, name in value.items()}


FIELD_RULES = {
    "display_name": lambda f, x: v.text(f, x),
    "enabled": v.boolean,
    "domains": lambda f, x: v.string_list(f, x, v.domain, max_items=100),
    "entra_tenant_id": _tenant,
    "allowed_tenant_ids": lambda f, x: v.string_list(f, x, v.guid, max_items=500),
    "client_id": v.guid,
    "client_secret": client_secret_value,
    "client_secret_expires_on": parse_expiry_date,
    "scopes": _scopes,
    "idp_metadata_url": lambda f, x: v.url(f, x, allow_loopback_http=get_settings().allow_loopback_metadata),
    "idp_metadata_xml": lambda f, x: v.text(f, x, max_length=1024 * 1024),
    "idp_entity_id": lambda f, x: v.text(f, x, max_length=1024),
    "idp_sso_url": lambda f, x: v.url(f, x, allow_loopback_http=get_settings().allow_loopback_metadata),
    "idp_certificate": lambda f, x: v.text(f, x, max_length=64 * 1024),
    "sp_entity_id": lambda f, x: v.absolute_uri(f, x, max_length=1024),
    "attribute_mapping": _attribute_mapping,
    "allow_idp_initiated": v.boolean,
    "sign_authn_requests": v.boolean,
}


def clean_fields(protocol: str, body: dict) -> dict:
    """Validates the fields present; fields of the other protocol are refused as unknown."""
    allowed = COMMON_FIELDS | (OIDC_FIELDS if protocol == "oidc" else SAML_FIELDS)
    unknown = sorted(set(body) - allowed - {"protocol"})
    if unknown:
        raise SsoError("unknown_field", f"Field(s) {', '.join(unknown)} do not apply to a {protocol} connection.")
    return {field: FIELD_RULES[field](field, value) for field, value in body.items() if field != "protocol"}


def _typed(stored: tables.Stored | None) -> tables.Stored[Connection] | None:
    return stored.typed(Connection.from_stored) if stored is not None else None


def get(connection_id: str) -> tables.Stored[Connection] | None:
    if not isinstance(connection_id, str) or not v.CONNECTION_ID.match(connection_id):
        return None
    return _cache.remember(connection_id, _typed(tables.get("connections", connection_id, ROW)))


def get_cached(connection_id: str) -> tables.Stored[Connection] | None:
    """For the sign-in path: a record at most CACHE_SECONDS old (this instance's writes are seen at once)."""
    return _cache.get(connection_id, get)


def require(organization: str, connection_id: str) -> tables.Stored[Connection]:
    stored = get(connection_id)
    if stored is None or stored.doc.organization != organization:
        raise SsoError("not_found", f"No connection {connection_id!r} in organization {organization!r}.")
    return stored


def _stored_of(organization: str) -> list[tables.Stored[Connection]]:
    rows = tables.query_all("connections", "organization eq @org", {"org": organization})
    return [row.typed(Connection.from_stored) for row in rows if row.row_key == ROW]


def list_for(organization: str) -> list[Connection]:
    return [s.doc for s in _stored_of(organization)]


def all_stored(limit: int = 100_000) -> list[tables.Stored[Connection]]:
    """Every connection of the stamp (the daily metadata refresh)."""
    return [row.typed(Connection.from_stored) for row in tables.query_all("connections", "RowKey eq @row", {"row": ROW}, limit=limit)]


def _sp_entity_index_key(sp_entity_id: str) -> str:
    return "sp_" + hashlib.sha256(sp_entity_id.encode()).hexdigest()


def claim_sp_entity_id(sp_entity_id: str, connection_id: str) -> None:
    """SP entity ids are unique across the stamp: claimed by an atomic insert."""
    try:
        tables.insert("connections", _sp_entity_index_key(sp_entity_id), "sp_entity_id", {"connection": connection_id})
    except tables.AlreadyExists:
        raise SsoError("already_exists", f"Another connection already uses sp_entity_id {sp_entity_id!r}; choose another.") from None


def release_sp_entity_id(sp_entity_id: str) -> None:
    try:
        tables.delete("connections", _sp_entity_index_key(sp_entity_id), "sp_entity_id")
    except tables.EtagMismatch:
        pass


def _indexed(connection: Connection) -> dict:
    return {"organization": connection.organization}  # the filterable property list_for queries


def insert(connection: Connection) -> tables.Stored[Connection]:
    etag = tables.insert("connections", connection.id, ROW, connection.to_stored(), _indexed(connection))
    _cache.forget(connection.id)
    return tables.Stored(connection, etag, connection.id, ROW)


def save(connection: Connection, etag: str) -> tables.Stored[Connection]:
    """Writes `connection` if nobody changed it since `etag` was read (else 409); answers it as written."""
    connection = connection.replace(updated=iso())
    try:
        new_etag = tables.replace("connections", connection.id, ROW, connection.to_stored(), etag, _indexed(connection))
    except tables.EtagMismatch:
        raise SsoError("conflict") from None
    return _cache.remember(connection.id, tables.Stored(connection, new_etag, connection.id, ROW))


def drop_domain(organization: str, domain: str) -> None:
    """Removes `domain` from every connection of `organization` that lists it (its claim was
    deleted: a connection lists only verified domains). Etag-guarded, re-read on a lost race."""
    for _ in range(5):
        stale = [s for s in _stored_of(organization) if domain in s.doc.domains]
        if not stale:
            return
        for stored in stale:
            try:
                save(stored.doc.replace(domains=[d for d in stored.doc.domains if d != domain]), stored.etag)
            except SsoError as err:
                if err.code != "conflict":
                    raise
    raise SsoError("conflict", f"The organization's connections kept changing while {domain} was removed from them; retry.")


def delete(connection: Connection) -> None:
    tables.delete("connections", connection.id, ROW)
    _cache.forget(connection.id)
    if connection.protocol == "saml":
        release_sp_entity_id(connection.sp_entity_id)
