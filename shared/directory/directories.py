"""Directories: created by the admin API, each with a Secret Token for Entra's provisioning.

The token is 256 random bits, shown once; only its SHA-256 is stored (a slow hash adds nothing
to a random 256-bit value) and every comparison is constant time. A new token replaces the old at
once, or after a grace period of up to 7 days. The record is read fresh on every SCIM request
that reads anything, with what it reads; a write that reads nothing first may use the record
this instance authenticated the token with, and its transaction then checks the token's guard
row (shared/directory/token_guard.py): either way a revoked token stops working everywhere at once."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from datetime import date, datetime, timedelta, timezone

from shared.directory import token_guard
from shared.directory.records import Directory
from shared.directory.scim.errors import ScimError
from shared.orgs import events, organizations
from shared.platform import validation as v
from shared.platform.errors import SsoError
from shared.platform.settings import get_settings
from shared.platform.timestamps import end_of_day, iso, parse_iso
from shared.storage import tables

TABLE = "directories"
ROW = "directory"
DEFAULT_TOKEN_DAYS = 365
MAX_TOKEN_DAYS = 730
MAX_GRACE_HOURS = 168
MAX_PER_ORGANIZATION = 20
_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_id() -> str:
    return "dir_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


def is_id(value) -> bool:
    return isinstance(value, str) and len(value) == 24 and value.startswith("dir_") and all(c in _ID_ALPHABET for c in value[4:])


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "scim_" + secrets.token_urlsafe(32)


def scim_base_url(directory_id: str) -> str:
    return f"{get_settings().public_base_url}/scim/v2/{directory_id}"


def token_expiry(value) -> str:
    """`token_expires_on`: a date after today and within MAX_TOKEN_DAYS; default a year from now."""
    today = datetime.now(timezone.utc).date()
    if value is None:
        return (today + timedelta(days=DEFAULT_TOKEN_DAYS)).isoformat()
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None or day <= today or day > today + timedelta(days=MAX_TOKEN_DAYS):
        raise v.invalid("token_expires_on", f"a date as YYYY-MM-DD after today and at most {MAX_TOKEN_DAYS} days ahead")
    return day.isoformat()


def view(directory: Directory) -> dict:
    base = scim_base_url(directory.id)
    return {**directory.public(), "status": directory.status, "scim_base_url": base, "scim_base_url_compatible": f"{base}?aadOptscim062020",
            "scim_base_url_note": ("Paste scim_base_url_compatible as the Tenant URL in Entra (Provisioning > Admin Credentials): "
                                   "the ?aadOptscim062020 flag makes Entra's provisioning service send standard SCIM PATCH requests. "
                                   "scim_base_url works too; this service accepts both request styles.")}


def get(directory_id: str) -> tables.Stored[Directory] | None:
    if not is_id(directory_id):
        return None
    stored = tables.get(TABLE, directory_id, ROW)
    return stored.typed(Directory.from_stored) if stored else None


def require(organization: str, directory_id: str) -> tables.Stored[Directory]:
    stored = get(directory_id)
    if stored is None or stored.doc.organization != organization:
        raise SsoError("not_found", f"No directory {directory_id!r} in organization {organization!r}.")
    return stored


def list_for(organization: str) -> list[Directory]:
    """The org's directories, by the ids its record keeps (point reads, no scan)."""
    org = organizations.get(organization)
    found = [get(directory_id) for directory_id in (org.doc.directory_ids if org else [])]
    return sorted((stored.doc for stored in found if stored is not None and stored.doc.organization == organization), key=lambda d: d.created)


def _scan_for(organization: str) -> list[str]:
    """Every directory naming the org, by a scan of the table (org deletion only: it must also
    find a directory whose id never reached the org record)."""
    rows = tables.query_all(TABLE, "organization eq @org and RowKey eq @row", {"org": organization, "row": ROW}, limit=MAX_PER_ORGANIZATION * 5)
    return [row.partition_key for row in rows]


def create(organization: str, name: str, connection: str | None, token_expires_on: str,
           idp_id_attribute: str | None = None) -> tuple[Directory, str]:
    """A new directory and its first token (shown once), recorded as an org event."""
    if len(list_for(organization)) >= MAX_PER_ORGANIZATION:
        raise SsoError("invalid_request", f"An organization has at most {MAX_PER_ORGANIZATION} directories; delete one first.")
    token = new_token()
    now = iso()
    directory = Directory(id=new_id(), organization=organization, name=name, connection=connection, token_expires_on=token_expires_on,
                          created=now, updated=now, token_hash=digest(token), token_version=1, token_guards=True,
                          **({"idp_id_attribute": idp_id_attribute} if idp_id_attribute else {}))
    tables.transact(TABLE, directory.id, [tables.Op("create", ROW, directory.to_stored(), indexed={"organization": organization}),
                                          *token_guard.creation_ops(directory)])
    _link(organization, directory.id, True)
    events.record(organization, "directory.created", detail={"directory": directory.id, "name": directory.name})
    return directory, token


def _link(organization: str, directory_id: str, linked: bool, attempts: int = 10) -> None:
    """Keeps the org's `directory_ids` (what the sign-in reads to know there is a directory)."""
    for _ in range(attempts):
        stored = organizations.get(organization)
        if stored is None:
            return
        ids = [d for d in stored.doc.directory_ids if d != directory_id] + ([directory_id] if linked else [])
        if ids == stored.doc.directory_ids:
            return
        try:
            organizations.save(stored.doc.replace(directory_ids=ids), stored.etag)
            return
        except SsoError as err:
            if err.code != "conflict":
                raise
    raise SsoError("conflict")


def save(directory: Directory, etag: str) -> str:
    try:
        return tables.replace(TABLE, directory.id, ROW, directory.replace(updated=iso()).to_stored(), etag, {"organization": directory.organization})
    except tables.EtagMismatch:
        raise SsoError("conflict") from None


def rotate(stored: tables.Stored[Directory], token_expires_on: str, grace_hours: int) -> tuple[Directory, str]:
    """A new token; the old one keeps working for `grace_hours` (0: stops at once)."""
    token = new_token()
    old = stored.doc
    grace_until = iso(datetime.now(timezone.utc) + timedelta(hours=grace_hours)) if grace_hours else None
    directory = old.replace(token_hash=digest(token), token_expires_on=token_expires_on, token_version=old.token_version + 1,
                            previous_token_hash=old.token_hash if grace_until else None, previous_token_valid_until=grace_until,
                            token_guards=True, updated=iso())
    try:  # the record and the tokens' guard rows change together: a revoked token fails every instance's next write
        tables.transact(TABLE, directory.id, [tables.Op("update", ROW, directory.to_stored(), stored.etag, {"organization": directory.organization}),
                                              *token_guard.rotation_ops(old, directory)])
    except (tables.EtagMismatch, tables.AlreadyExists):
        raise SsoError("conflict") from None
    events.record(directory.organization, "directory.token_rotated", detail={"directory": directory.id, "grace_period_hours": grace_hours})
    return directory, token


def delete(directory_id: str, organization: str | None = None) -> None:
    """Everything the directory owns is in its partition: the record goes last, so a deletion that
    fails half-way leaves a directory that can be deleted again."""
    if organization is not None:
        _link(organization, directory_id, False)
    while True:
        keys = [row.row_key for row in tables.query_all(TABLE, "PartitionKey eq @pk and RowKey ne @row", {"pk": directory_id, "row": ROW}, limit=tables.MAX_BATCH)]
        if not keys:
            break
        try:
            tables.transact(TABLE, directory_id, [tables.Op("delete", key) for key in keys])
        except tables.EtagMismatch:
            continue  # a row went meanwhile: look again
    tables.delete(TABLE, directory_id, ROW)


def _with_row(directory_id: str, row_key: str) -> tuple[tables.Stored | None, tables.Stored | None]:
    """The directory record and one more row of its partition: two point reads sent together,
    so they take the time of one. Not one query ORing the two RowKeys: Table Storage answers
    that with a scan of the whole partition (Microsoft's table design guide says to avoid it),
    which in a directory of 10,000 users costs every lookup far more than a second request."""
    directory, row = tables.get_many(TABLE, directory_id, [ROW, row_key])
    return (directory.typed(Directory.from_stored) if directory else None), row


def authenticate(directory_id: str, authorization: str | None, on_found=None, also: str | None = None, cached: bool = False):
    """The directory whose token the request carries, or a 401 in SCIM's shape. An unknown
    directory and a wrong token answer the same, so the URL is no oracle. With `also` (a row key
    of the partition, e.g. the index row a filter needs) answers (directory, that row or None),
    read together: Entra's Test Connection costs two point reads sent at once."""
    scheme, _, presented = (authorization or "").partition(" ")
    presented = presented.strip()
    refused = ScimError(401, "Send the directory's Secret Token as 'Authorization: Bearer <token>' (Entra: Provisioning > Admin Credentials).")
    token_guard.begin()
    if scheme.lower() != "bearer" or not presented or len(presented) > 256:
        raise refused
    presented_hash = digest(presented)
    now = datetime.now(timezone.utc)
    if cached and also is None:  # a write that reads nothing first: its transaction checks the token (token_guard.py)
        remembered = token_guard.cached(directory_id, presented_hash, now)
        if remembered is not None:
            if on_found is not None:
                on_found(remembered)
            return remembered
    extra = None
    if also is not None and is_id(directory_id):
        stored, extra = _with_row(directory_id, also)
    else:
        stored = get(directory_id)
    if stored is None:
        raise refused
    directory = stored.doc
    if on_found is not None:  # refusals from here on are the directory's to record
        on_found(directory)
    if hmac.compare_digest(presented_hash, directory.token_hash):
        expires_at = end_of_day(date.fromisoformat(directory.token_expires_on))
        if expires_at <= now:
            raise ScimError(401, f"The Secret Token expired on {directory.token_expires_on}; issue a new one "
                                 "(POST /api/organizations/{org}/directories/{directory}/token) and paste it into Entra.")
        token_guard.remember(directory, presented_hash, False, expires_at)
        return (directory, extra) if also is not None else directory
    previous = directory.previous_token_hash
    if previous and directory.previous_token_valid_until and parse_iso(directory.previous_token_valid_until) > now \
            and hmac.compare_digest(presented_hash, previous):
        token_guard.remember(directory, presented_hash, True, parse_iso(directory.previous_token_valid_until))
        return (directory, extra) if also is not None else directory
    raise refused


def delete_directories_of(organization: str) -> None:
    for directory_id in dict.fromkeys([d.id for d in list_for(organization)] + _scan_for(organization)):
        delete(directory_id)
