"""The daily `check_expiry` for directory Secret Tokens: like a client secret's, a token that
expires within 60, 30, 7 or 1 days, or has expired, is reported once per threshold (a marker
row created in one transaction with the event and the webhook's outbox row, see
shared/lifecycle/expiry_checks.py). A new token (POST .../token) starts afresh: markers are per
token version."""
from __future__ import annotations

import logging
from datetime import date, datetime

from shared.directory import directories
from shared.directory.records import Directory
from shared.lifecycle import webhook_due, webhooks
from shared.orgs import events
from shared.orgs.records import Organization
from shared.platform.observability import log
from shared.platform.timestamps import end_of_day
from shared.storage import activity, tables

MARKER_PREFIX = "expiry_dir_"
_FIX = "issue a new one with POST /api/organizations/{org}/directories/{directory}/token and paste it into Entra (Provisioning > Admin Credentials > Secret Token)"


def _fire(org: Organization, directory: Directory, crossed: str, now: datetime) -> bool:
    expires_at = end_of_day(date.fromisoformat(directory.token_expires_on))
    days_left = (expires_at.date() - now.date()).days
    what = f"The Secret Token of directory {directory.name!r} ({directory.id})"
    message = (f"{what} expired on {directory.token_expires_on}: Entra's provisioning fails until you {_FIX}." if crossed == "expired"
               else f"{what} expires in {days_left} day(s), on {directory.token_expires_on}: {_FIX}.")
    data = {"directory": directory.id, "directory_name": directory.name, "credential": "scim_token", "expires_on": directory.token_expires_on,
            "days_left": days_left, "threshold": crossed, "message": message}
    event_type = "credential.expired" if crossed == "expired" else "credential.expiring"
    ops = [tables.Op("create", f"{MARKER_PREFIX}{directory.id}_v{directory.token_version}_{crossed}",
                     {"directory": directory.id, "threshold": crossed, "fired": now.isoformat()}),
           events.event_op(event_type, outcome="warning", error="scim_token_expired" if crossed == "expired" else None, detail=data)]
    if org.notification_webhook_url:
        ops.append(webhooks.outbox_op(org.id, event_type, data, now=now))
    try:
        activity.transact(org.id, ops)
    except (tables.AlreadyExists, activity.OrganizationGone):
        return False
    if org.notification_webhook_url:
        webhook_due.mark(org.id)  # the deliver_webhooks timer retries it, should this run's attempt fail
    log(logging.WARNING, event_type.replace(".", "_"), organization=org.id, directory=directory.id, credential="scim_token",
        expires_on=directory.token_expires_on, days_left=days_left, threshold=crossed)
    return True


def check(org: Organization, now: datetime, threshold) -> dict:
    """`threshold(expires_at, now)` is expiry_checks.threshold (passed in: that module calls this one)."""
    counts = {"credentials": 0, "warnings": 0}
    for directory in directories.list_for(org.id):
        counts["credentials"] += 1
        crossed = threshold(end_of_day(date.fromisoformat(directory.token_expires_on)), now)
        if crossed and _fire(org, directory, crossed, now):
            counts["warnings"] += 1
    return counts
