"""Organizations: the SaaS's customer orgs, their redirect URIs and sign-in settings.

Stored in the `organizations` table, partition = org slug, row `organization`. Reads on the
sign-in path go through a short in-process cache (`get_cached`); admin reads and every write go
to storage, and a write refreshes this instance's cache at once.
"""
from __future__ import annotations

from typing import get_args

from shared.orgs import connections
from shared.orgs.records import Enforcement, Organization, Provisioning, SignInMethod
from shared.orgs.regions import UnknownOrganization
from shared.platform import public_url
from shared.platform import validation as v
from shared.platform.errors import SsoError
from shared.platform.settings import get_settings
from shared.platform.timestamps import iso
from shared.storage import activity, tables
from shared.storage.record_cache import RecordCache

ROW = "organization"
CACHE_SECONDS = 15
SIGN_IN_METHODS = get_args(SignInMethod)
ENFORCEMENT_MODES = get_args(Enforcement)
PROVISIONING_MODES = get_args(Provisioning)

# field -> validator of the value; None is accepted for the nullable ones.
FIELD_RULES = {
    "name": lambda f, x: v.text(f, x),
    "redirect_uris": lambda f, x: v.string_list(f, x, v.url, max_items=20, allow_empty=False),
    "allowed_sign_in_methods": lambda f, x: v.string_list(f, x, lambda g, y: v.choice(g, y, SIGN_IN_METHODS), allow_empty=False),
    "default_connection": lambda f, x: _connection_id(f, x),
    "sso_enforcement": lambda f, x: v.choice(f, x, ENFORCEMENT_MODES),
    "sso_required_emails": lambda f, x: v.string_list(f, x, v.email, max_items=1000),
    "break_glass_emails": lambda f, x: v.string_list(f, x, v.email, max_items=20),
    "provisioning": lambda f, x: v.choice(f, x, PROVISIONING_MODES),
    "notification_webhook_url": lambda f, x: _webhook_url(f, x),
    "groups_overage_unavailable": lambda f, x: v.choice(f, x, ("sign_in", "fail")),
}
NULLABLE = frozenset({"default_connection", "notification_webhook_url"})
CREATE_FIELDS = frozenset({"id", *FIELD_RULES})
PATCH_FIELDS = frozenset(FIELD_RULES)

_cache: RecordCache[tables.Stored[Organization]] = RecordCache(CACHE_SECONDS)


def _connection_id(field: str, value) -> str:
    if not isinstance(value, str) or not v.CONNECTION_ID.match(value):
        raise v.invalid(field, "a connection id (conn_...)")
    return value


def _webhook_url(field: str, value) -> str:
    """The address rules of every URL the stamp calls (shared/platform/public_url.py), checked now and
    again at each send. A name that does not resolve yet is accepted: DNS may come later."""
    allow_loopback = get_settings().allow_loopback_metadata
    try:
        public_url.check(value, allow_loopback=allow_loopback, unresolved_ok=True)
    except public_url.Refused as refused:
        raise SsoError("invalid_field", f"`{field}` must be {public_url.allowed(allow_loopback)}: {refused.reason}.") from None
    return v.url(field, value, allow_loopback_http=allow_loopback)  # and no fragment


def clean_fields(body: dict) -> dict:
    """Validates the settable fields present in `body`."""
    cleaned = {}
    for field, value in body.items():
        if field == "id":
            continue
        cleaned[field] = None if value is None and field in NULLABLE else FIELD_RULES[field](field, value)
    return cleaned


def new_organization(body: dict) -> Organization:
    if "id" not in body:
        raise SsoError("missing_field", "`id` is required: the organization's slug, e.g. `contoso`.")
    for required in ("name", "redirect_uris"):
        if required not in body:
            raise SsoError("missing_field", f"`{required}` is required.")
    now = iso()
    org = Organization.new(id=v.slug("id", body["id"]), **clean_fields(body), region=get_settings().region, verified_domains=[],
                           created=now, updated=now)
    refuse_unknown_default(org, set(body))
    return org


def refuse_unknown_default(org: Organization, changed_fields) -> None:
    """`default_connection` must name an existing connection of this very org (else 400
    `invalid_field`): a sign-in by organization would otherwise fail, or start another org's."""
    wanted = org.default_connection
    if "default_connection" not in set(changed_fields) or wanted is None:
        return
    stored = connections.get(wanted)
    if stored is None or stored.doc.organization != org.id:
        raise SsoError("invalid_field", f"`default_connection`: organization {org.id!r} has no connection {wanted!r}; "
                                        f"use the id of one of its connections (GET /api/organizations/{org.id}/connections), or null.")


def _typed(stored: tables.Stored | None) -> tables.Stored[Organization] | None:
    return stored.typed(Organization.from_stored) if stored is not None else None


def get(slug: str) -> tables.Stored[Organization] | None:
    if not v.SLUG.match(slug or ""):
        return None
    return _cache.remember(slug, _typed(tables.get("organizations", slug, ROW)))


def get_cached(slug: str) -> tables.Stored[Organization] | None:
    return _cache.get(slug, get)


def require(slug: str) -> tables.Stored[Organization]:
    stored = get(slug)
    if stored is None:
        raise UnknownOrganization("not_found", slug, f"No organization {slug!r}.")
    return stored


def insert(org: Organization) -> tables.Stored[Organization]:
    """Creates the org: its activity partition's marker first (shared/storage/activity.py), so the
    record never exists without it."""
    activity.create_marker(org.id)
    org = org.replace(activity_guarded=True)
    try:
        etag = tables.insert("organizations", org.id, ROW, org.to_stored())
    except tables.AlreadyExists:
        raise SsoError("already_exists", f"An organization {org.id!r} already exists.") from None
    _cache.forget(org.id)
    return tables.Stored(org, etag, org.id, ROW)


def save(org: Organization, etag: str) -> tables.Stored[Organization]:
    """Writes `org` if nobody changed it since `etag` was read (else 409 conflict); answers it as written."""
    org = org.replace(updated=iso())
    try:
        new_etag = tables.replace("organizations", org.id, ROW, org.to_stored(), etag)
    except tables.EtagMismatch:
        raise SsoError("conflict") from None
    return _cache.remember(org.id, tables.Stored(org, new_etag, org.id, ROW))


def delete(slug: str) -> None:
    tables.delete("organizations", slug, ROW)
    _cache.forget(slug)


def pages(page_size: int = 500):
    """Every organization record of the stamp, page by page (the daily checks)."""
    cursor = None
    while True:
        page, cursor = tables.query_page("organizations", "RowKey eq @row", {"row": ROW}, page_size, cursor)
        yield from (Organization.from_stored(item.doc) for item in page)
        if not cursor:
            return


def other_rows(slug: str) -> list[tables.Stored]:
    """The rows beside the org record in its partition (invitations, its routing entry)."""
    rows = tables.query_all("organizations", "PartitionKey eq @org", {"org": slug}, limit=100_000)
    return [row for row in rows if row.row_key != ROW]


def public_view(stored: tables.Stored[Organization]) -> dict:
    return {**stored.doc.public(), "etag": stored.etag}


def list_page(cursor: str | None, limit: int = 50) -> tuple[list[tables.Stored[Organization]], str | None]:
    """One page of the stamp's organizations, in slug order (GET /api/organizations)."""
    page, next_cursor = tables.query_page("organizations", "RowKey eq @row", {"row": ROW}, max(1, min(limit, 100)), cursor)
    return [item.typed(Organization.from_stored) for item in page], next_cursor
