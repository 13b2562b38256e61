"""The hourly `purge_expired` timer: removes login states, one-time codes, SAML replay entries
and setup-portal links and sessions past their life from the `activity` table.

Only rows whose key starts with `login_` (a login state, or the code it became), `replay_`
(a SAML assertion id) or `portal_` (a portal link or session) are considered, and only when their indexed `expires_at` is past, by
GRACE: events (`ev_...`), webhook outbox rows and expiry markers have other prefixes and are
never read here. Deletes go in transactions of at most BATCH_SIZE rows of one partition; a run
stops after MAX_ROWS_PER_RUN rows per kind and the next run continues.

Why unconditional deletes are safe: nothing changes a login or replay row after it expires
(the callback and the token exchange refuse expired rows without writing), and GRACE outlasts
any request that read a row just before it expired. A redeemed code is not deleted by the token
exchange (it is marked `redeemed`, see logins.py): this timer removes it. A batch that fails
because a row vanished meanwhile (an overlapping run on another instance) is retried row by row.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from shared.platform.observability import log
from shared.signin.consent import CONSENT_PREFIX
from shared.signin.logins import LOGIN_PREFIX, REPLAY_PREFIX
from shared.storage import tables

PORTAL_PREFIX = "portal_"  # setup-portal links and sessions (shared/portal/sessions.py), refused once expired
PREFIXES = (LOGIN_PREFIX, REPLAY_PREFIX, CONSENT_PREFIX, PORTAL_PREFIX)  # consent_: a one-click connection's consent request, refused once expired
GRACE = timedelta(minutes=5)
BATCH_SIZE = 100  # Table Storage's limit for one transaction
PAGE_SIZE = 1000
MAX_ROWS_PER_RUN = 20_000


def _delete(partition: str, row_keys: list[str]) -> int:
    try:
        tables.transact("activity", partition, [tables.Op("delete", key) for key in row_keys])
        return len(row_keys)
    except tables.EtagMismatch:  # a row vanished meanwhile: the rest, one by one
        removed = 0
        for key in row_keys:
            try:
                tables.delete("activity", partition, key)
                removed += 1
            except tables.EtagMismatch:
                pass
        return removed


def purge_prefix(prefix: str, cutoff: datetime, *, batch_size: int = BATCH_SIZE, max_rows: int = MAX_ROWS_PER_RUN,
                 page_size: int = PAGE_SIZE) -> int:
    removed, cursor = 0, None
    while removed < max_rows:
        page, cursor = tables.query_page(
            "activity", "RowKey ge @start and RowKey lt @end and expires_at lt @cutoff",
            {**tables.prefix_range(prefix), "cutoff": cutoff}, page_size=min(page_size, max_rows - removed), cursor=cursor,
        )
        by_partition: dict[str, list[str]] = defaultdict(list)
        for row in page:
            if row.row_key.startswith(prefix):  # never anything else, whatever the query answered
                by_partition[row.partition_key].append(row.row_key)
        for partition, keys in by_partition.items():
            for i in range(0, len(keys), batch_size):
                removed += _delete(partition, keys[i:i + batch_size])
        if not cursor:
            break
    return removed


def run(now: datetime | None = None, **limits) -> dict:
    """The timer's work: rows removed per kind (also logged)."""
    cutoff = (now or datetime.now(timezone.utc)) - GRACE
    removed = {prefix.rstrip("_"): purge_prefix(prefix, cutoff, **limits) for prefix in PREFIXES}
    log(logging.INFO, "purge_expired_done", **removed)
    return removed
