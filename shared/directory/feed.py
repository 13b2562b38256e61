"""The directory event feed: `ev_<time>_<rand>` rows in the directory's partition, written in the
same transaction as the change they report, read in order with `?after=<event id>`."""
from __future__ import annotations

import re
import secrets
import time

from shared.directory.directories import TABLE
from shared.directory.records import DirectoryEvent
from shared.platform.errors import SsoError
from shared.platform.timestamps import iso
from shared.storage import tables

PREFIX = "ev_"
TYPES = ("user.created", "user.updated", "user.deactivated", "user.deleted", "group.created", "group.updated", "group.deleted",
         "group.user_added", "group.user_removed")
MAX_PAGE = 100
_ID = re.compile(r"^\d{20}_[0-9a-f]{8}\Z")


def event_op(directory_id: str, event_type: str, data: dict) -> tuple[tables.Op, DirectoryEvent]:
    event_id = f"{time.time_ns():020d}_{secrets.token_hex(4)}"
    event = DirectoryEvent(id=event_id, type=event_type, directory=directory_id, occurred_at=iso(), data=data)
    return tables.Op("create", PREFIX + event_id, event.to_stored()), event


def list_after(directory_id: str, after: str | None, limit: int) -> tuple[list[DirectoryEvent], str | None]:
    """Events after `after` (oldest first) and the cursor for the next call (the last id)."""
    if after is not None and not _ID.match(after):
        raise SsoError("invalid_request", "`after` must be an event id this API returned (or absent, to start from the first event).")
    limit = max(1, min(limit, MAX_PAGE))
    rows = tables.query_all(TABLE, "PartitionKey eq @pk and RowKey gt @start and RowKey lt @end",
                            {"pk": directory_id, "start": PREFIX + (after or ""), "end": PREFIX[:-1] + chr(ord(PREFIX[-1]) + 1)}, limit=limit)
    found = [row.typed(DirectoryEvent.from_stored).doc for row in rows]
    return found, (found[-1].id if found else after)
