"""Directory events to the org's notification webhook: each event the SCIM service wrote to the
directory's feed becomes an outbox row of shared/lifecycle/webhooks.py (signed, retried, sent by
`deliver_pending`), and the org is marked due, so the every-minute deliver_webhooks timer sends
them (shared/lifecycle/webhook_delivery.py). The feed is written with the change itself; the outbox after it, so a lost
outbox write loses no event: GET .../directories/{directory}/events still has it."""
from __future__ import annotations

import logging

from shared.directory.records import Directory, DirectoryEvent
from shared.lifecycle import webhook_due, webhooks
from shared.orgs import organizations
from shared.platform.errors import SsoError
from shared.platform.observability import log
from shared.storage import activity, tables


def notify(directory: Directory, directory_events: list[DirectoryEvent]) -> None:
    if not directory_events:
        return
    org = organizations.get_cached(directory.organization)
    if org is None or not org.doc.notification_webhook_url:
        return
    ops = [webhooks.outbox_op(directory.organization, event.type, {"directory": directory.id, "event_id": event.id, **event.data})
           for event in directory_events]
    try:
        for start in range(0, len(ops), tables.MAX_BATCH - 1):
            activity.transact(directory.organization, ops[start:start + tables.MAX_BATCH - 1])
        webhook_due.mark(directory.organization)  # after the rows: the deliver_webhooks timer sends them within a minute
    except (SsoError, activity.OrganizationGone) as exc:  # the feed keeps the events; the SCIM answer stands
        log(logging.WARNING, "directory_webhook_not_queued", organization=directory.organization, directory=directory.id,
            error=getattr(exc, "code", type(exc).__name__))
