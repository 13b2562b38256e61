"""Who is in which group: the m_<group>_<user> rows and their mirror ug_<user>_<group>."""
from __future__ import annotations

from shared.directory import keys
from shared.directory.directories import TABLE
from shared.storage import tables

MAX_MEMBERS = 100_000
MAX_GROUPS_PER_USER = 10_000


def _ids(directory_id: str, prefix: str, limit: int) -> list[str]:
    rows = tables.query_all(TABLE, tables.PREFIX_FILTER, {"partition": directory_id, **tables.prefix_range(prefix)}, limit=limit)
    return [row.row_key[len(prefix):] for row in rows]


def member_ids(directory_id: str, group_id: str) -> list[str]:
    return _ids(directory_id, f"{keys.MEMBER}{group_id}_", MAX_MEMBERS)


def members(directory_id: str, group_id: str) -> list[tuple[str, str | None]]:
    """(user id, display name as provisioned) of each member."""
    prefix = f"{keys.MEMBER}{group_id}_"
    rows = tables.query_all(TABLE, tables.PREFIX_FILTER, {"partition": directory_id, **tables.prefix_range(prefix)}, limit=MAX_MEMBERS)
    return [(row.row_key[len(prefix):], row.doc.get("display")) for row in rows]


def of_user(directory_id: str, user_id: str) -> list[str]:
    return _ids(directory_id, f"{keys.USER_GROUP}{user_id}_", MAX_GROUPS_PER_USER)
