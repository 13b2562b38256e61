"""The gn_<h> row of a group display name: the ids of the groups that have it. Display names are
not unique (RFC 7643 section 4.2), and Entra looks a group up by displayName before it creates
one, so the lookup is one point read; a row per group would need a range query, which Azurite
answers by scanning the whole table. The row changes in the same transaction as the group, under
its ETag, so two groups named alike at once both end up listed."""
from __future__ import annotations

import random
import time

from shared.directory import keys
from shared.directory.directories import TABLE
from shared.directory.scim.errors import ScimError
from shared.storage import tables

MAX_SAME_NAME = 1000
# Creates of one name at once take turns on its row: each round one of them gets through, so
# twenty at once all do, each after a short random pause that spreads the next round.
CONTENDED_RETRIES = 25


def pause(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.002 * (attempt + 1)))


def read(directory_id: str, display_name: str) -> tables.Stored | None:
    return tables.get(TABLE, directory_id, keys.group_name(display_name))


def ids(row: tables.Stored | None) -> list[str]:
    return list(row.doc.get("ids") or []) if row is not None else []


def join(display_name: str, group_id: str, row: tables.Stored | None) -> tables.Op:
    """Lists `group_id` under its name, from the row as read (None: no row, so it is created; a
    row made meanwhile fails the transaction with AlreadyExists)."""
    if row is None:
        return tables.Op("create", keys.group_name(display_name), {"ids": [group_id]})
    listed = ids(row)
    if len(listed) >= MAX_SAME_NAME:
        raise ScimError(400, f"At most {MAX_SAME_NAME} groups of a directory may share a display name; rename some.", "invalidValue")
    return tables.Op("update", row.row_key, {"ids": [*listed, group_id]}, row.etag)


def leave(group_id: str, row: tables.Stored | None) -> list[tables.Op]:
    """Takes `group_id` off its name's row as read (the row goes with its last group)."""
    if group_id not in ids(row):
        return []
    rest = [listed for listed in ids(row) if listed != group_id]
    return [tables.Op("update", row.row_key, {"ids": rest}, row.etag) if rest else tables.Op("delete", row.row_key, etag=row.etag)]
