"""Directory groups and their members. A membership is two rows (m_<group>_<user> and
ug_<user>_<group>) written together with its `group.user_added`/`group.user_removed` event, so
a group of any size is read by one prefix query and a user's groups by another."""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from shared.directory import feed, group_names, index, keys, memberships, token_guard, users
from shared.directory.directories import TABLE
from shared.directory.records import Directory, DirectoryEvent, DirectoryGroup
from shared.directory.scim.errors import ScimError, invalid_value, not_found, uniqueness
from shared.platform.timestamps import iso
from shared.storage import tables

if TYPE_CHECKING:  # the SCIM stack is imported where a SCIM request needs it, off the cold start
    from shared.directory.scim import patch as scim_patch
    from shared.directory.scim.filters import Lookup

MAX_MEMBERS = memberships.MAX_MEMBERS
MAX_LIST = 10_000
MAX_FOUND = 100  # groups answered for one displayName: one page of a ListResponse
_PER_BATCH = tables.MAX_BATCH // 3  # a membership change is 2 rows and 1 event (33 of them and the group row: 100)


def get(directory_id: str, group_id: str) -> tables.Stored[DirectoryGroup] | None:
    if not keys.is_resource_id(group_id):
        return None
    stored = tables.get(TABLE, directory_id, keys.group(group_id))
    return stored.typed(DirectoryGroup.from_stored) if stored else None


def require(directory_id: str, group_id: str) -> tables.Stored[DirectoryGroup]:
    stored = get(directory_id, group_id)
    if stored is None:
        raise not_found("Group", group_id)
    return stored


def _prefix_rows(directory_id: str, prefix: str, limit: int) -> list[tables.Stored]:
    return tables.query_all(TABLE, tables.PREFIX_FILTER, {"partition": directory_id, **tables.prefix_range(prefix)}, limit=limit)


member_ids = memberships.member_ids
members = memberships.members
of_user = memberships.of_user


def find(directory_id: str, lookup: Lookup) -> list[tables.Stored[DirectoryGroup]]:
    if lookup.attribute == "id":
        found = [get(directory_id, lookup.value)]
    elif lookup.attribute == "externalId":
        row = tables.get(TABLE, directory_id, keys.group_external_id(lookup.value))
        found = [get(directory_id, row.doc["id"])] if row else []
    else:  # displayName: its row lists the groups (group_names.py)
        listed = group_names.ids(group_names.read(directory_id, lookup.value))[:MAX_FOUND]
        found = [row.typed(DirectoryGroup.from_stored) if row else None
                 for row in tables.get_many(TABLE, directory_id, [keys.group(group_id) for group_id in listed])]
        # only a group that has the name now: the row is kept in step, this holds whatever it says
        found = [group for group in found if group is not None and str(group.doc.scim.get("displayName")).lower() == lookup.value.lower()]
    return [group for group in found if group is not None]


def page(directory_id: str) -> list[tables.Stored[DirectoryGroup]]:
    return [row.typed(DirectoryGroup.from_stored) for row in _prefix_rows(directory_id, keys.GROUP, MAX_LIST)]


def view_data(group: DirectoryGroup) -> dict:
    return {"id": group.id, "name": group.scim.get("displayName"), "external_id": group.scim.get("externalId")}


def _taken() -> ScimError:
    return uniqueness("Another group in this directory has this externalId.")


def _check_users(directory_id: str, user_ids: list[str]) -> None:
    present = users.exist(directory_id, user_ids)
    for user_id in dict.fromkeys(user_ids):
        if user_id not in present:
            raise invalid_value(f"Member {user_id[:64]!r} is not a user of this directory; provision the user first.")


Members = list[tuple[str, str | None]]  # (user id, display) in key order, as memberships.members answers


def written(directory_id: str, group: DirectoryGroup, etags: dict[str, str]) -> tables.Stored[DirectoryGroup]:
    """The group just written, with the ETag its transaction answered (no read after the write)."""
    key = keys.group(group.id)
    return tables.Stored(group, etags[key], directory_id, key) if etags.get(key) else require(directory_id, group.id)


def _membership_ops(directory_id: str, group: DirectoryGroup, adds: dict[str, str | None], removes: list[str]) -> list[tuple[list[tables.Op], DirectoryEvent]]:
    changes = []
    for user_id, display in adds.items():
        op, event = feed.event_op(directory_id, "group.user_added", {"group": view_data(group), "user": {"id": user_id}})
        changes.append(([tables.Op("create", keys.member(group.id, user_id), {"id": user_id, "display": display}),
                         tables.Op("create", keys.user_group(user_id, group.id), {"id": group.id}), op], event))
    for user_id in removes:
        op, event = feed.event_op(directory_id, "group.user_removed", {"group": view_data(group), "user": {"id": user_id}})
        changes.append(([tables.Op("delete", keys.member(group.id, user_id)), tables.Op("delete", keys.user_group(user_id, group.id)), op], event))
    return changes


def _write_members(directory_id: str, stored: tables.Stored[DirectoryGroup], adds: dict[str, str | None], removes: list[str],
                   exact: int | None) -> tuple[tables.Stored[DirectoryGroup], list[DirectoryEvent], int]:
    """One transaction: member rows, their events and the group row (its member_count, under its
    ETag). When it fails, the group and the member rows it touched are read, and it is tried again
    without what was already so (Entra repeats itself) or with the group as changed meanwhile.
    `exact`: the member count when the members were read. Answers the group as written, the
    events and the count of members after."""
    for _ in range(users.RETRIES):
        if not adds and not removes:
            return stored, [], stored.doc.member_count if exact is None else exact
        count = (stored.doc.member_count if exact is None else exact) + len(adds) - len(removes)
        if adds and count > MAX_MEMBERS:  # member_count may be high (a user's hard delete): count them
            count = len(member_ids(directory_id, stored.doc.id)) + len(adds) - len(removes)
            if count > MAX_MEMBERS:
                raise ScimError(400, f"A group has at most {MAX_MEMBERS} members.", "invalidValue")
        group = stored.doc.replace(member_count=max(count, 0))
        pairs = _membership_ops(directory_id, group, adds, removes)
        ops = [tables.Op("update", stored.row_key, group.to_stored(), stored.etag), *(op for member_ops, _ in pairs for op in member_ops)]
        try:
            etags = token_guard.transact(directory_id, ops)
            return tables.Stored(group, etags[stored.row_key], directory_id, stored.row_key), [event for _, event in pairs], group.member_count
        except (tables.AlreadyExists, tables.EtagMismatch):
            touched = [*adds, *removes]
            fresh, *rows = tables.get_many(TABLE, directory_id, [stored.row_key, *(keys.member(group.id, user_id) for user_id in touched)])
            if fresh is None:
                raise not_found("Group", group.id) from None
            present = {user_id for user_id, row in zip(touched, rows) if row is not None}
            still_adds = {user_id: display for user_id, display in adds.items() if user_id not in present}
            still_removes = [user_id for user_id in removes if user_id in present]
            if fresh.etag == stored.etag and still_adds == adds and still_removes == removes:
                break  # nothing to account for it but the token's guard: the token is no longer accepted
            stored, adds, removes, exact = fresh.typed(DirectoryGroup.from_stored), still_adds, still_removes, None
    raise ScimError(409, "The group's members were changed by another request meanwhile; retry.")


def _apply_members(directory_id: str, stored: tables.Stored[DirectoryGroup], change: scim_patch.MemberChange,
                   known: Members | None = None, users_checked: bool = False):
    """Writes the member changes in batches. A replace is compared with the members (`known`, or
    read); adds and removes are written as sent, and only a batch that fails reads the rows it
    touches (_write_members), so a PATCH never reads a large group whole. Answers the group as
    written, the events, and the members after the change when known (`known` or a replace),
    else None."""
    if not (change.add or change.remove or change.replace is not None):
        return stored, [], known
    before = dict(known) if known is not None else None
    if change.replace is not None:
        before = dict(members(directory_id, stored.doc.id)) if before is None else before
        adds = {u: d for u, d in change.replace.items() if u not in before}
        removes = sorted(set(before) - set(change.replace))
    else:
        removing = set(change.remove)
        adds = {u: d for u, d in change.add.items() if u not in removing and (before is None or u not in before)}
        removes = sorted(u for u in removing if keys.is_resource_id(u) and (before is None or u in before))  # no other id is a member
    if not users_checked:
        _check_users(directory_id, list(adds))
    pending = [(user_id, display, True) for user_id, display in adds.items()] + [(user_id, None, False) for user_id in removes]
    exact = None if before is None else len(before)
    events, added, removed = [], {}, set()
    for start in range(0, len(pending), _PER_BATCH):
        chunk = pending[start:start + _PER_BATCH]
        chunk_adds = {user_id: display for user_id, display, adding in chunk if adding}
        chunk_removes = [user_id for user_id, _, adding in chunk if not adding]
        stored, written_events, exact = _write_members(directory_id, stored, chunk_adds, chunk_removes, exact)
        events += written_events
        added.update(chunk_adds)
        removed.update(chunk_removes)
    if before is None:
        return stored, events, None
    return stored, events, sorted(({u: d for u, d in before.items() if u not in removed} | added).items())


def _rename_ops(directory_id: str, group_id: str, old: dict, new: dict) -> list[tables.Op]:
    """The name rows' changes when displayName changes (not for a change of case only)."""
    old_key, new_key = keys.group_name(old["displayName"]), keys.group_name(new["displayName"])
    if old_key == new_key:
        return []
    old_row, new_row = tables.get_many(TABLE, directory_id, [old_key, new_key])
    return [*group_names.leave(group_id, old_row), group_names.join(new["displayName"], group_id, new_row)]


def create(directory: Directory, scim: dict, members: dict[str, str | None]):
    """The group, its rows and its members: (group as written, events, members)."""
    from shared.directory.scim import patch as scim_patch  # on first use: scim2-models stays off the cold start

    now = iso()
    group = DirectoryGroup(id=uuid.uuid4().hex, scim=scim, created=now, updated=now)
    _check_users(directory.id, list(members))
    op, event = feed.event_op(directory.id, "group.created", view_data(group))
    name_row = None  # the name is taken to be new (Entra looked it up just before): nothing read
    for attempt in range(group_names.CONTENDED_RETRIES):
        ops = [tables.Op("create", keys.group(group.id), group.to_stored()), *index.changes({}, index.group_rows(group.id, scim)),
               group_names.join(scim["displayName"], group.id, name_row), op]
        try:
            etags = token_guard.transact(directory.id, ops)  # with the token's check when the directory was not read
            break
        except tables.AlreadyExists:
            if index.unique_taken(False, scim, None, directory.id):  # its externalId; else the name's row failed
                raise _taken() from None
            if name_row is not None:
                group_names.pause(attempt)  # the name's row was made meanwhile by another create
            name_row = group_names.read(directory.id, scim["displayName"])  # another group has this name
        except tables.EtagMismatch:
            fresh = group_names.read(directory.id, scim["displayName"]) if name_row is not None else None
            if name_row is None or (fresh is not None and fresh.etag == name_row.etag):
                raise  # only the token's guard can have failed: scim_http.for_write checks the token again
            group_names.pause(attempt)
            name_row = fresh
    else:
        raise ScimError(409, "Groups of this name are being created by other requests; retry.")
    stored, member_events, after = _apply_members(directory.id, written(directory.id, group, etags), scim_patch.MemberChange(add=members),
                                                  known=[], users_checked=True)
    return stored, [event, *member_events], after or []


def update(directory: Directory, group_id: str, body, if_match: str | None, replace_with: tuple[dict, dict[str, str | None]] | None = None):
    """A PATCH (`body`) or a PUT (`replace_with` = the new SCIM JSON and members): (group as
    written, events, members after the change or None when they were not read)."""
    from shared.directory.scim import patch as scim_patch  # on first use: scim2-models stays off the cold start

    for _ in range(users.RETRIES):
        stored = require(directory.id, group_id)
        if if_match and if_match != "*" and if_match != stored.etag:
            raise ScimError(412, "The group changed since you read it (If-Match does not match meta.version); GET it again.")
        old = stored.doc
        if replace_with is not None:
            scim, change = replace_with[0], scim_patch.MemberChange(replace=replace_with[1])
        else:
            scim, change = scim_patch.apply("Group", old.scim, body)
        events = []
        if scim != old.scim:
            new = old.replace(scim=scim, updated=iso())
            op, event = feed.event_op(directory.id, "group.updated", view_data(new))
            ops = [tables.Op("update", keys.group(group_id), new.to_stored(), stored.etag),
                   *index.changes(index.group_rows(group_id, old.scim), index.group_rows(group_id, scim)), *_rename_ops(directory.id, group_id, old.scim, scim), op]
            try:
                etags = tables.transact(TABLE, directory.id, ops)
            except tables.AlreadyExists:
                if index.unique_taken(False, scim, group_id, directory.id):
                    raise _taken() from None
                continue  # the new name's row was made meanwhile: read again
            except tables.EtagMismatch:
                continue  # the group or a name row changed meanwhile: read again (If-Match is checked again above)
            events.append(event)
            stored = written(directory.id, new, etags)
        stored, member_events, after = _apply_members(directory.id, stored, change)
        return stored, events + member_events, after
    raise ScimError(409, "The group is being changed by other requests; retry.")


def delete(directory: Directory, group_id: str, if_match: str | None) -> list[DirectoryEvent]:
    stored = require(directory.id, group_id)
    if if_match and if_match != "*" and if_match != stored.etag:
        raise ScimError(412, "The group changed since you read it (If-Match does not match meta.version); GET it again.")
    members = member_ids(directory.id, group_id)
    rows = [op for user_id in members for op in (tables.Op("delete", keys.member(group_id, user_id)), tables.Op("delete", keys.user_group(user_id, group_id)))]
    for start in range(0, len(rows), tables.MAX_BATCH - 10):
        try:
            tables.transact(TABLE, directory.id, rows[start:start + tables.MAX_BATCH - 10])
        except tables.EtagMismatch:
            pass  # a member went meanwhile; the group goes anyway
    for _ in range(users.RETRIES):
        op, event = feed.event_op(directory.id, "group.deleted", view_data(stored.doc))
        name_row = group_names.read(directory.id, stored.doc.scim["displayName"])
        try:
            tables.transact(TABLE, directory.id, [tables.Op("delete", keys.group(group_id), etag=stored.etag),
                                                  *index.changes(index.group_rows(group_id, stored.doc.scim), {}),
                                                  *group_names.leave(group_id, name_row), op])
            return [event]
        except tables.EtagMismatch:
            stored = require(directory.id, group_id)  # changed meanwhile (renamed, members): it goes as it is now
            if if_match and if_match != "*" and if_match != stored.etag:
                raise ScimError(412, "The group changed while it was being deleted; GET it again.") from None
    raise ScimError(409, "The group is being changed by other requests; retry.")
