"""Which organizations have webhook notifications due, so the every-minute `deliver_webhooks`
timer visits only those instead of every organization.

One row per such org in the `webhookdue` table, partition `due`, row key = the org's slug, with
`due_at` (indexed) = when its earliest notification is due. The rule that keeps a notification
from being forgotten: whoever writes outbox rows calls `mark` AFTER committing them, and the
timer removes an org's row only with the etag it read before draining, once the outbox is empty.
A `mark` between the timer's read and its removal changes the etag (the removal fails, the row
stays) or comes after the removal (it makes the row again); so every outbox row is followed by a
due row. If `mark` itself fails (storage hiccup), the daily `check_expiry` still drains every
org's outbox, as before this index existed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from shared.platform.errors import SsoError
from shared.platform.observability import log
from shared.platform.timestamps import iso, parse_iso, utc_now
from shared.storage import tables

TABLE = "webhookdue"
PARTITION = "due"
MAX_ORGS_PER_RUN = 1000


@dataclass(frozen=True)
class Due:
    organization: str
    due_at: datetime
    etag: str


def _write(organization: str, due_at: datetime, etag: str | None) -> None:
    doc, indexed = {"due_at": iso(due_at)}, {"due_at": due_at}
    if etag is None:
        tables.upsert(TABLE, PARTITION, organization, doc, indexed)
    else:
        tables.replace(TABLE, PARTITION, organization, doc, etag, indexed)


def mark(organization: str, due_at: datetime | None = None) -> None:
    """The org has notifications due at `due_at` (default now). Call after the outbox rows are
    committed; an unconditional write, so it always changes the row's etag. A failure is logged,
    not raised: the notifications are committed and the daily check_expiry sends them anyway."""
    try:
        _write(organization, due_at or utc_now(), None)
    except SsoError as err:
        log(logging.WARNING, "webhook_due_not_marked", organization=organization, error=err.code)


def due(now: datetime | None = None, limit: int = MAX_ORGS_PER_RUN) -> list[Due]:
    """The orgs whose earliest notification is due by `now` (one query of one partition)."""
    rows = tables.query_all(TABLE, "PartitionKey eq @partition and due_at le @now",
                            {"partition": PARTITION, "now": now or utc_now()}, limit=limit)
    return [Due(row.row_key, parse_iso(row.doc["due_at"]), row.etag) for row in rows]


def settle(entry: Due, next_due: datetime | None) -> None:
    """After a run drained `entry`'s org: drop its row when nothing is left (`next_due` None),
    else move it to `next_due`; both only if nobody marked the org since the run read the row
    (then the newer mark stands and the next run looks again)."""
    try:
        if next_due is None:
            tables.delete(TABLE, PARTITION, entry.organization, etag=entry.etag)
        else:
            _write(entry.organization, next_due, entry.etag)
    except tables.EtagMismatch:
        pass
