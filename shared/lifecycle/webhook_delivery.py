"""The every-minute `deliver_webhooks` timer: sends the due notifications of the organizations
marked in shared/lifecycle/webhook_due.py, and only theirs (no scan of every organization).

Each org's outbox is drained by shared/lifecycle/webhooks.py `deliver_pending` (claims, signing,
backoff, dropping after MAX_ATTEMPTS), batch after batch while it keeps succeeding and the run's
time budget lasts (a directory's initial sync queues thousands), then its due row is settled:
removed when the outbox is empty, else moved to when the next notification is due. Runs may
overlap (several instances, a manual run): each notification is still sent once, by the run
that claims it. Organizations are handled in a small pool, so a slow endpoint holds up only its own.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from shared.lifecycle import webhook_due, webhooks
from shared.orgs import organizations
from shared.platform.observability import log
from shared.platform.timestamps import utc_now

MAX_WORKERS = 8
# Below the timer's period, so a run is over before the next one starts.
BUDGET_SECONDS = 45.0


def deliver_org(entry: webhook_due.Due, now: datetime, deadline: float) -> dict:
    """One marked org: its due notifications, then its due row settled."""
    counts = {"delivered": 0, "failed": 0, "dropped": 0}
    stored = organizations.get(entry.organization)
    if stored is None:  # deleted, and its outbox with it
        webhook_due.settle(entry, None)
        return counts
    while True:
        batch = webhooks.deliver_pending(stored.doc, now=now)
        for key, value in batch.items():
            counts[key] += value
        if not batch["delivered"] or batch["failed"] or time.monotonic() >= deadline:
            break
    webhook_due.settle(entry, webhooks.next_due(entry.organization))
    return counts


def run(now: datetime | None = None) -> dict:
    """The timer's work; returns totals (also logged)."""
    now = now or utc_now()
    deadline = time.monotonic() + BUDGET_SECONDS
    totals = {"organizations": 0, "delivered": 0, "failed": 0, "dropped": 0, "errors": 0}

    def one(entry: webhook_due.Due) -> dict:
        try:
            return deliver_org(entry, now, deadline)
        except Exception as exc:  # one org's trouble is logged; its row stays, so the next run tries again
            log(logging.ERROR, "deliver_webhooks_failed", organization=entry.organization, error=getattr(exc, "code", type(exc).__name__))
            return {"errors": 1}

    with ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="deliver-webhooks") as pool:
        for counts in pool.map(one, webhook_due.due(now)):
            totals["organizations"] += 1
            for key, value in counts.items():
                totals[key] += value
    if totals["organizations"]:
        log(logging.INFO, "deliver_webhooks_done", **totals)
    return totals
