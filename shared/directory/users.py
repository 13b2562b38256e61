"""Directory users: created, replaced, patched and deleted by SCIM, each change one transaction of
the user row, its index rows and its feed event (so two creates of one userName give one 201)."""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from shared.directory import feed, index, keys, memberships, token_guard
from shared.directory.directories import TABLE
from shared.directory.records import Directory, DirectoryEvent, DirectoryUser
from shared.directory.scim.errors import ScimError, not_found, uniqueness
from shared.platform.errors import SsoError
from shared.platform.timestamps import iso
from shared.storage import tables

if TYPE_CHECKING:  # the SCIM stack is imported where a SCIM request needs it, off the cold start
    from shared.directory.scim.filters import Lookup

MAX_LIST = 10_000  # an unfiltered list counts at most this many (Entra always filters)
RETRIES = 5


def get(directory_id: str, user_id: str) -> tables.Stored[DirectoryUser] | None:
    if not keys.is_resource_id(user_id):
        return None
    stored = tables.get(TABLE, directory_id, keys.user(user_id))
    return stored.typed(DirectoryUser.from_stored) if stored else None


def require(directory_id: str, user_id: str) -> tables.Stored[DirectoryUser]:
    stored = get(directory_id, user_id)
    if stored is None:
        raise not_found("User", user_id)
    return stored


def written(directory_id: str, user: DirectoryUser, etags: dict[str, str]) -> tables.Stored[DirectoryUser]:
    """The user just written, with the ETag its transaction answered (no read after the write)."""
    key = keys.user(user.id)
    return tables.Stored(user, etags[key], directory_id, key) if etags.get(key) else require(directory_id, user.id)


def exist(directory_id: str, user_ids: list[str]) -> set[str]:
    """Which of `user_ids` are users of the directory: point reads, several at once. (One query
    per few ids would be fewer round trips, but a filter ORing RowKeys is a partition scan in
    Table Storage, and a scan of the whole table in Azurite: far slower in a large directory.)"""
    wanted = [user_id for user_id in dict.fromkeys(user_ids) if keys.is_resource_id(user_id)]  # only ids become keys
    rows = tables.get_many(TABLE, directory_id, [keys.user(user_id) for user_id in wanted])
    return {user_id for user_id, row in zip(wanted, rows) if row is not None}


def by_user_name(directory_id: str, user_name: str) -> tables.Stored[DirectoryUser] | None:
    row = tables.get(TABLE, directory_id, keys.user_name(user_name))
    return get(directory_id, row.doc["id"]) if row else None


def by_external_id(directory_id: str, external_id: str) -> tables.Stored[DirectoryUser] | None:
    row = tables.get(TABLE, directory_id, keys.user_external_id(external_id))
    return get(directory_id, row.doc["id"]) if row else None


def index_key(lookup: Lookup) -> str | None:
    """The unique index row of a userName or externalId lookup (None for other lookups)."""
    if lookup.attribute == "userName":
        return keys.user_name(lookup.value)
    if lookup.attribute == "externalId":
        return keys.user_external_id(lookup.value)
    return None


def from_index_row(directory_id: str, row: tables.Stored | None) -> list[tables.Stored[DirectoryUser]]:
    """The user an index row (read already, or absent) names."""
    user = get(directory_id, row.doc["id"]) if row is not None else None
    return [user] if user is not None else []


def find(directory_id: str, lookup: Lookup) -> list[tables.Stored[DirectoryUser]]:
    """The users a filter selects, from the index (never a scan)."""
    if lookup.attribute == "id":
        found = [get(directory_id, lookup.value)]
    elif lookup.attribute == "userName":
        found = [by_user_name(directory_id, lookup.value)]
    elif lookup.attribute == "externalId":
        found = [by_external_id(directory_id, lookup.value)]
    else:
        prefix = keys.email_prefix(lookup.value)
        rows = tables.query_all(TABLE, tables.PREFIX_FILTER, {"partition": directory_id, **tables.prefix_range(prefix)}, limit=100)
        ids = sorted({row.doc["id"] for row in rows if lookup.email_type is None or row.doc.get("type") == lookup.email_type})
        found = [get(directory_id, user_id) for user_id in ids]
    return [user for user in found if user is not None]


def page(directory_id: str) -> list[tables.Stored[DirectoryUser]]:
    return [row.typed(DirectoryUser.from_stored) for row in tables.query_all(
        TABLE, tables.PREFIX_FILTER, {"partition": directory_id, **tables.prefix_range(keys.USER)}, limit=MAX_LIST)]


def _taken(directory_id: str, scim: dict, own_id: str | None) -> ScimError:
    attribute = index.unique_taken(True, scim, own_id, directory_id) or "userName"
    return uniqueness(f"Another user in this directory has this {attribute}.")


def view_data(user: DirectoryUser) -> dict:
    scim = user.scim
    return {"id": user.id, "user_name": scim.get("userName"), "external_id": scim.get("externalId"), "active": scim.get("active", True)}


def create(directory: Directory, scim: dict) -> tuple[tables.Stored[DirectoryUser], list[DirectoryEvent]]:
    now = iso()
    user = DirectoryUser(id=uuid.uuid4().hex, scim=scim, sso_required=False, created=now, updated=now)
    op, event = feed.event_op(directory.id, "user.created", view_data(user))
    ops = [tables.Op("create", keys.user(user.id), user.to_stored())]
    ops += index.changes({}, index.user_rows(user.id, scim)) + [op]
    try:
        etags = token_guard.transact(directory.id, ops)  # with the token's check when the directory was not read
    except tables.AlreadyExists:
        raise _taken(directory.id, scim, None) from None
    return written(directory.id, user, etags), [event]


def _events(directory_id: str, old: DirectoryUser, new: DirectoryUser) -> list[tuple[tables.Op, DirectoryEvent]]:
    was, now = old.scim.get("active", True), new.scim.get("active", True)
    kind = "user.deactivated" if was and not now else "user.updated"
    return [feed.event_op(directory_id, kind, view_data(new))]


def update(directory: Directory, user_id: str, change, if_match: str | None) -> tuple[tables.Stored[DirectoryUser], list[DirectoryEvent]]:
    """`change(scim) -> scim`, applied to the current user; retried when another write came first
    (unless the client named the version it changed with If-Match: then 412)."""
    for _ in range(RETRIES):
        stored = require(directory.id, user_id)
        if if_match and if_match != "*" and if_match != stored.etag:
            raise ScimError(412, "The user changed since you read it (If-Match does not match meta.version); GET it again.")
        old = stored.doc
        scim = change(old.scim)
        if scim == old.scim:
            return stored, []
        new = old.replace(scim=scim, updated=iso())
        pairs = _events(directory.id, old, new)
        ops = [tables.Op("update", keys.user(user_id), new.to_stored(), stored.etag)]
        ops += index.changes(index.user_rows(user_id, old.scim), index.user_rows(user_id, scim)) + [op for op, _ in pairs]
        try:
            etags = tables.transact(TABLE, directory.id, ops)
        except tables.AlreadyExists:
            raise _taken(directory.id, scim, user_id) from None
        except tables.EtagMismatch:
            if if_match:
                raise ScimError(412, "The user changed since you read it; GET it again.") from None
            continue
        return written(directory.id, new, etags), [event for _, event in pairs]
    raise ScimError(409, "The user is being changed by other requests; retry.")


def patch(directory: Directory, user_id: str, body, if_match: str | None):
    from shared.directory.scim import patch as scim_patch  # on first use: scim2-models stays off the cold start

    return update(directory, user_id, lambda scim: scim_patch.apply("User", scim, body)[0], if_match)


def set_sso_required(directory: Directory, user_id: str, required: bool) -> DirectoryUser:
    for _ in range(RETRIES):
        stored = get(directory.id, user_id)
        if stored is None:
            raise SsoError("not_found", f"No user {user_id!r} in directory {directory.id!r}.")
        new = stored.doc.replace(sso_required=required, updated=iso())
        try:
            tables.replace(TABLE, directory.id, keys.user(user_id), new.to_stored(), stored.etag)
            return new
        except tables.EtagMismatch:
            continue
    raise ScimError(409, "The user is being changed by other requests; retry.")


def delete(directory: Directory, user_id: str, if_match: str | None) -> list[DirectoryEvent]:
    """The user, its index rows and its memberships (both directions) go together."""
    for _ in range(RETRIES):
        stored = require(directory.id, user_id)
        if if_match and if_match != "*" and if_match != stored.etag:
            raise ScimError(412, "The user changed since you read it (If-Match does not match meta.version); GET it again.")
        group_ids = memberships.of_user(directory.id, user_id)
        membership = [op for group_id in group_ids for op in (tables.Op("delete", keys.member(group_id, user_id)), tables.Op("delete", keys.user_group(user_id, group_id)))]
        op, event = feed.event_op(directory.id, "user.deleted", view_data(stored.doc))
        own = [tables.Op("delete", keys.user(user_id), etag=stored.etag), *index.changes(index.user_rows(user_id, stored.doc.scim), {}), op]
        try:
            for start in range(0, len(membership), tables.MAX_BATCH):  # a member of very many groups: those first
                if len(membership) - start + len(own) <= tables.MAX_BATCH:
                    tables.transact(TABLE, directory.id, membership[start:] + own)
                    return [event]
                tables.transact(TABLE, directory.id, membership[start:start + tables.MAX_BATCH])
            tables.transact(TABLE, directory.id, own)
            return [event]
        except tables.EtagMismatch:
            continue
    raise ScimError(409, "The user is being changed by other requests; retry.")
