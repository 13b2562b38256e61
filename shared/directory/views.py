"""The SaaS's view of a directory: users and groups in the contract's shape (DESIGN.md
"Additions"), cursor lists, `?group=`."""
from __future__ import annotations

from shared.directory import groups, keys, users
from shared.directory.directories import TABLE
from shared.directory.records import Directory, DirectoryGroup, DirectoryUser
from shared.platform.errors import SsoError
from shared.storage import tables

MAX_PAGE = 100


def state(user: DirectoryUser) -> str:
    return "active" if user.scim.get("active", True) else "inactive"


def idp_id(directory: Directory, user: DirectoryUser) -> str | None:
    """The Entra object id, where the directory carries it (the admin mapped objectId)."""
    return user.scim.get(directory.idp_id_attribute) if directory.idp_id_attribute else None


def group_names(directory_id: str, group_ids: list[str]) -> list[dict]:
    found = [groups.get(directory_id, group_id) for group_id in group_ids]
    return [{"id": g.doc.id, "name": g.doc.scim.get("displayName")} for g in found if g is not None]


def user_view(directory: Directory, user: DirectoryUser, with_groups: bool = True) -> dict:
    scim = user.scim
    name = scim.get("name") or {}
    view = {
        "id": user.id, "directory": directory.id, "idp_id": idp_id(directory, user), "user_name": scim.get("userName"),
        "emails": [{"value": e.get("value"), "type": e.get("type"), "primary": bool(e.get("primary"))} for e in scim.get("emails") or []],
        "first_name": name.get("givenName"), "last_name": name.get("familyName"),
        "active": bool(scim.get("active", True)), "state": state(user), "sso_required": user.sso_required,
        "raw_attributes": scim, "created": user.created, "updated": user.updated,
    }
    if with_groups:
        view["groups"] = group_names(directory.id, groups.of_user(directory.id, user.id))
    return view


def group_view(directory: Directory, group: DirectoryGroup) -> dict:
    return {"id": group.id, "directory": directory.id, "name": group.scim.get("displayName"), "idp_id": group.scim.get("externalId"),
            "raw_attributes": group.scim, "created": group.created, "updated": group.updated}


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise SsoError("invalid_request", f"`limit` must be a whole number from 1 to {MAX_PAGE}.")
    return limit


def list_users(directory: Directory, cursor: str | None, limit: int, group: str | None) -> tuple[list[dict], str | None]:
    limit = _limit(limit)
    if group is not None:
        if groups.get(directory.id, group) is None:
            raise SsoError("not_found", f"No group {group[:64]!r} in directory {directory.id!r}.")
        prefix = f"{keys.MEMBER}{group}_"
        rows, next_cursor = tables.query_page(TABLE, tables.PREFIX_FILTER, {"partition": directory.id, **tables.prefix_range(prefix)}, limit, cursor)
        found = [users.get(directory.id, row.row_key[len(prefix):]) for row in rows]
        return [user_view(directory, u.doc) for u in found if u is not None], next_cursor
    rows, next_cursor = tables.query_page(TABLE, tables.PREFIX_FILTER, {"partition": directory.id, **tables.prefix_range(keys.USER)}, limit, cursor)
    return [user_view(directory, row.typed(DirectoryUser.from_stored).doc) for row in rows], next_cursor


def list_groups(directory: Directory, cursor: str | None, limit: int) -> tuple[list[dict], str | None]:
    rows, next_cursor = tables.query_page(TABLE, tables.PREFIX_FILTER, {"partition": directory.id, **tables.prefix_range(keys.GROUP)}, _limit(limit), cursor)
    return [group_view(directory, row.typed(DirectoryGroup.from_stored).doc) for row in rows], next_cursor
