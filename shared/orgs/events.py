"""The audit trail of an organization: sign-ins (ok and failed, with the reason), config changes,
rotations, expiry warnings, refused input.

Events live in the `activity` table under the org's partition, beside its login states, so a
sign-in's state change and its event commit together in one transaction. Row keys count down
from a far-future instant, so the natural key order is newest first.
"""

import logging
import secrets
import time
from datetime import datetime, timezone

from shared.platform.observability import correlation_id, log, request_actor
from shared.storage import activity, tables
from shared.storage.record import Record

EVENT_PREFIX = "ev_"
_FAR_FUTURE_MS = 10**14
MAX_PAGE = 100


class Event(Record):
    id: str
    time: str  # UTC, to the millisecond
    type: str
    connection: str | None
    outcome: str  # ok, failed, warning
    error: str | None  # the stable error code of a failure
    detail: dict


def _row_key(now_ms: int) -> str:
    return f"{EVENT_PREFIX}{_FAR_FUTURE_MS - now_ms:014d}_{secrets.token_hex(4)}"


def event_op(event_type: str, *, connection: str | None = None, outcome: str = "ok", error: str | None = None, detail: dict | None = None) -> tables.Op:
    """An event as a transaction operation, to commit together with the change it records. An
    event recorded while serving a request carries its correlation id in `detail`, the id the
    user's error page and the app's error JSON show, so an admin can find the event."""
    detail = dict(detail or {})
    if correlation_id():
        detail["correlation_id"] = correlation_id()
    if request_actor():
        detail["actor"] = request_actor()
    now_ms = int(time.time() * 1000)
    row_key = _row_key(now_ms)
    event = Event(id=row_key[len(EVENT_PREFIX):],
                  time=datetime.fromtimestamp(now_ms / 1000, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                  type=event_type, connection=connection, outcome=outcome, error=error, detail=detail)
    return tables.Op("create", row_key, event.to_stored())


def record(organization: str, event_type: str, **fields) -> None:
    """Records one event, unless the org was deleted (then there is nowhere to keep it)."""
    op = event_op(event_type, **fields)
    try:
        activity.transact(organization, [op])
    except activity.OrganizationGone:
        log(logging.INFO, "event_not_recorded", organization=organization, type=event_type, reason="organization deleted")


def list_events(organization: str, cursor: str | None, limit: int = 50) -> tuple[list[Event], str | None]:
    items, next_cursor = tables.query_page(
        "activity",
        tables.PREFIX_FILTER,
        {"partition": organization, **tables.prefix_range(EVENT_PREFIX)},
        page_size=max(1, min(limit, MAX_PAGE)),
        cursor=cursor,
    )
    return [Event.from_stored(item.doc) for item in items], next_cursor
