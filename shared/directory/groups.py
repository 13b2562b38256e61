"""Directory groups and their members. A membership is two rows (m_<group>_<user> and
ug_<user>_<group>) written together with its `group.user_added`/`group.user_removed` event, so
a group of any size is read by one prefix query and a user's groups by another."""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from shared.directory import feed, index, keys, memberships, token_guard, users
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
_PER_BATCH = tables.MAX_BATCH // 3  # a membership change is 2 rows and 1 event


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
    else:
        found = [get(directory_id, row.doc["id"]) for row in _prefix_rows(directory_id, keys.group_name_prefix(lookup.value), 100)]
    return [group for group in found if group is not None]


def page(directory_id: str) -> list[tables.Stored[DirectoryGroup]]:
    return [row.typed(DirectoryGroup.from_stored) for row in _prefix_rows(directory_id, keys.GROUP, MAX_LIST)]


def view_data(group: DirectoryGroup) -> dict:
    return {"id": group.id, "name": group.scim.get("displayName"), "external_id": group.scim.get("externalId")}


def _taken(directory_id: str, scim: dict, own_id: str | None) -> ScimError:
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


def _apply_members(directory_id: str, group: DirectoryGroup, change: scim_patch.MemberChange,
                   known: Members | None = None) -> tuple[list[DirectoryEvent], Members | None]:
    """Writes the member changes, in batches; what is already so is skipped (Entra repeats itself).
    Answers the events and the members after the change (None when nothing changed and they were
    not read); `known`: the members already known (a new group's: none), instead of a read."""
    if not (change.add or change.remove or change.replace is not None):
        return [], known
    before = dict(members(directory_id, group.id) if known is None else known)
    current = set(before)
    if change.replace is not None:
        adds = {u: d for u, d in change.replace.items() if u not in current}
        removes = sorted(current - set(change.replace))
    else:
        removing = set(change.remove)
        adds = {u: d for u, d in change.add.items() if u not in current and u not in removing}
        removes = sorted(u for u in removing if u in current)
    if len(current) + len(adds) > MAX_MEMBERS:
        raise ScimError(400, f"A group has at most {MAX_MEMBERS} members.", "invalidValue")
    _check_users(directory_id, list(adds))
    events = []
    pending = _membership_ops(directory_id, group, adds, removes)
    for start in range(0, len(pending), _PER_BATCH):
        batch = pending[start:start + _PER_BATCH]
        try:
            token_guard.transact(directory_id, [op for ops, _ in batch for op in ops])
        except (tables.AlreadyExists, tables.EtagMismatch):
            raise ScimError(409, "The group's members were changed by another request meanwhile; retry.") from None
        events += [event for _, event in batch]
    after = {user_id: display for user_id, display in before.items() if user_id not in set(removes)} | adds
    return events, sorted(after.items())


def create(directory: Directory, scim: dict, members: dict[str, str | None]) -> tuple[tables.Stored[DirectoryGroup], list[DirectoryEvent]]:
    from shared.directory.scim import patch as scim_patch  # on first use: scim2-models stays off the cold start

    now = iso()
    group = DirectoryGroup(id=uuid.uuid4().hex, scim=scim, created=now, updated=now)
    _check_users(directory.id, list(members))
    op, event = feed.event_op(directory.id, "group.created", view_data(group))
    ops = [tables.Op("create", keys.group(group.id), group.to_stored()), *index.changes({}, index.group_rows(group.id, scim)), op]
    try:
        etags = token_guard.transact(directory.id, ops)  # with the token's check when the directory was not read
    except tables.AlreadyExists:
        raise _taken(directory.id, scim, None) from None
    member_events, after = _apply_members(directory.id, group, scim_patch.MemberChange(add=members), known=[])
    return written(directory.id, group, etags), [event, *member_events], after or []


def update(directory: Directory, group_id: str, body, if_match: str | None, replace_with: tuple[dict, dict[str, str | None]] | None = None):
    """A PATCH (`body`) or a PUT (`replace_with` = the new SCIM JSON and members)."""
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
        events, etags = [], {keys.group(group_id): stored.etag}
        if scim != old.scim:
            new = old.replace(scim=scim, updated=iso())
            op, event = feed.event_op(directory.id, "group.updated", view_data(new))
            ops = [tables.Op("update", keys.group(group_id), new.to_stored(), stored.etag),
                   *index.changes(index.group_rows(group_id, old.scim), index.group_rows(group_id, scim)), op]
            try:
                etags = tables.transact(TABLE, directory.id, ops)
            except tables.AlreadyExists:
                raise _taken(directory.id, scim, group_id) from None
            except tables.EtagMismatch:
                if if_match:
                    raise ScimError(412, "The group changed since you read it; GET it again.") from None
                continue
            events.append(event)
            old = new
        member_events, after = _apply_members(directory.id, old, change)
        return written(directory.id, old, etags), events + member_events, after  # member rows leave the group row as it was
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
    op, event = feed.event_op(directory.id, "group.deleted", view_data(stored.doc))
    try:
        tables.transact(TABLE, directory.id, [tables.Op("delete", keys.group(group_id), etag=stored.etag),
                                              *index.changes(index.group_rows(group_id, stored.doc.scim), {}), op])
    except tables.EtagMismatch:
        raise ScimError(409, "The group changed while it was being deleted; retry.") from None
    return [event]
