"""Notification webhooks: signed POSTs to an organization's `notification_webhook_url`.

Signing: each organization has its own signing secret, made when its `notification_webhook_url`
is set (answered once, as `notification_webhook_secret`) and kept in the secret store; the org
record pins its version. Every POST carries

    Entra-SSO-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>.<body>", keyed by the secret>

so a receiver recomputes the HMAC over the exact bytes it received, compares in constant time,
and refuses timestamps older than a few minutes (`verify_signature` does exactly that).

Delivery is at least once, from an outbox: the notification is a row `webhook_<time>_<id>` in
the org's partition of the `activity` table, written in the same transaction as the event it
reports, and the org is marked as having deliveries due (shared/lifecycle/webhook_due.py), so
the every-minute `deliver_webhooks` timer sends it within a minute (the daily `check_expiry`
also drains every org's outbox). `deliver_pending` POSTs the rows that are due (5 s timeouts, no redirects followed);
each row is first claimed by one run (a lease, see `deliver_pending`), so overlapping runs on
many instances send it once; a 2xx removes the row, anything else schedules the next attempt
further out (BACKOFF) and leaves the org's other rows for the next run, so one dead endpoint
costs one timeout per run. After MAX_ATTEMPTS the notification is dropped and an event says so.
The URL passes the address rules (shared/platform/public_url.py) at save and again at every send; a
refused one sends nothing and records a `webhook.refused` event. Each payload has an `id`, also
sent as the Entra-SSO-Delivery header, that stays the same across attempts: the key receivers
deduplicate on (a POST whose answer was lost is sent again).
"""

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import datetime, timedelta, timezone

from shared.orgs import events, webhook_secret
from shared.orgs.records import Organization
from shared.platform import public_url
from shared.platform.errors import SsoError
from shared.platform.observability import log
from shared.platform.settings import get_settings
from shared.platform.timestamps import iso, utc_now
from shared.storage import activity, tables
from shared.storage.record import Record

SIGNATURE_HEADER = "Entra-SSO-Signature"
DELIVERY_HEADER = "Entra-SSO-Delivery"
OUTBOX_PREFIX = "webhook_"
TIMEOUT_SECONDS = 5
SIGNATURE_TOLERANCE_SECONDS = 300
# Waits after the 1st, 2nd, ... failed attempt: a blip costs a minute, an outage is retried for
# about a week in all (the every-minute deliver_webhooks timer sends at those times; the daily
# check_expiry is the safety net).
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=8),
           timedelta(hours=24), timedelta(hours=48), timedelta(hours=96))
MAX_ATTEMPTS = len(BACKOFF) + 1
MAX_DUE_PER_RUN = 50
# How long a run holds a notification it is sending: far above one POST's 5 s, so a live run
# never loses it; a run that died lets it go after this long.
CLAIM_LEASE = timedelta(minutes=5)


class Delivery(Record):
    """A notification in the outbox: its payload as sent, and how its delivery is going."""

    id: str  # also the payload's id and the Entra-SSO-Delivery header
    type: str
    body: str  # the exact JSON bytes signed and sent
    attempts: int
    next_attempt_at: str
    last_error: str | None
    claimed_until: str | None = None  # the lease of the run sending it


def signature(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret: str, header: str | None, body: bytes, *, now: float | None = None,
                     tolerance: int = SIGNATURE_TOLERANCE_SECONDS) -> bool:
    """What a receiver does: the header's `t` is recent and one of its `v1` values is the HMAC of
    "<t>.<body>" (constant-time comparison)."""
    if not header:
        return False
    parts = [item.strip().partition("=") for item in header.split(",")]
    stamps = [value for key, _, value in parts if key == "t"]
    signatures = [value for key, _, value in parts if key == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or not signatures:
        return False
    timestamp = int(stamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp).rpartition("v1=")[2]
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)


# -- the outbox --------------------------------------------------------------------------------

def outbox_op(organization: str, event_type: str, data: dict, *, now: datetime | None = None) -> tables.Op:
    """A notification to send, as a transaction operation (commit it with the event it reports)."""
    moment = now or utc_now()
    delivery_id = "whd_" + secrets.token_hex(12)
    payload = {"id": delivery_id, "type": event_type, "created": iso(moment), "organization": organization, "data": data}
    delivery = Delivery(id=delivery_id, type=event_type, body=json.dumps(payload, separators=(",", ":"), sort_keys=True),
                        attempts=0, next_attempt_at=iso(moment), last_error=None)
    return tables.Op("create", f"{OUTBOX_PREFIX}{int(moment.timestamp() * 1000):014d}_{delivery_id}", delivery.to_stored())


def pending(organization: str, limit: int = MAX_DUE_PER_RUN) -> list[tables.Stored[Delivery]]:
    """The org's undelivered notifications, oldest first."""
    rows = tables.query_all("activity", tables.PREFIX_FILTER, {"partition": organization, **tables.prefix_range(OUTBOX_PREFIX)}, limit=limit)
    return [row.typed(Delivery.from_stored) for row in rows]


def next_due(organization: str) -> datetime | None:
    """When the org's earliest undelivered notification is next due (a row another run holds is
    due when its lease ends), or None when its outbox is empty."""
    rows = pending(organization)
    if not rows:
        return None
    return min(max(_due_at(row.doc), _lease_end(row.doc)) for row in rows)


def post(url: str, secret: str, body: str, delivery_id: str) -> str | None:
    """One signed POST; None when the receiver answered 2xx, else what went wrong (no secrets).
    The URL passes the address rules again first (shared/platform/public_url.py): the name may resolve
    elsewhere than when it was saved, and the loopback setting may have changed; a refused URL
    raises public_url.Refused and nothing is sent."""
    settings = get_settings()
    raw = body.encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "entra-sso-webhooks/1",
               DELIVERY_HEADER: delivery_id, SIGNATURE_HEADER: signature(secret, raw, int(time.time()))}
    try:
        answer = public_url.call("POST", url, allow_loopback=settings.allow_loopback_metadata, ca_bundle=settings.ca_bundle,
                                 headers=headers, body=raw, timeout=TIMEOUT_SECONDS, max_bytes=0)
    except public_url.Failed as failed:
        return f"no answer ({failed.reason})"
    if 200 <= answer.status < 300:
        return None
    return f"HTTP {answer.status}" + (" (a redirect: redirects are not followed, set the final URL)" if 300 <= answer.status < 400 else "")


def deliver_pending(org: Organization, *, now: datetime | None = None) -> dict:
    """POSTs the org's due notifications, oldest first, until one fails. Returns counts.

    Several runs may overlap (many instances, a timer and a manual run): each row is claimed
    before it is sent, by an etag-conditional replace that sets a lease (`claimed_until`), so
    exactly one run sends it. A run that meets a row another run holds leaves the org to it. A
    run that dies after claiming loses nothing: once the lease is over, the row is due again."""
    moment = now or utc_now()
    counts = {"delivered": 0, "failed": 0, "dropped": 0}
    rows = pending(org.id)
    if not rows:
        return counts
    url, version = org.notification_webhook_url, org.notification_webhook_secret_version
    if not url or not version:  # the URL was removed since: nobody to tell
        for row in rows:
            _remove(row)
            counts["dropped"] += 1
        return counts
    secret = webhook_secret.value(org)
    for row in rows:
        if _due_at(row.doc) > moment:
            continue
        claimed = _claim(row)
        if claimed is None:
            break  # another run is delivering this org's notifications
        doc = claimed.doc
        try:
            problem = post(url, secret, doc.body, doc.id)
        except public_url.Refused as refused:
            problem = f"refused before sending: {refused.reason}"
            events.record(org.id, "webhook.refused", outcome="failed", error="invalid_field",
                          detail={"delivery": doc.id, "type": doc.type, "reason": refused.reason,
                                  "fix": f"set notification_webhook_url to {public_url.allowed(get_settings().allow_loopback_metadata)}"})
        if problem is None:
            _remove(claimed)
            counts["delivered"] += 1
            log(logging.INFO, "webhook_delivered", organization=org.id, delivery=doc.id, type=doc.type, attempt=doc.attempts + 1)
            continue
        counts["failed"] += 1
        _failed(org.id, claimed, problem, moment)
        break  # the endpoint is failing: the org's other notifications wait for the next run
    return counts


def _due_at(doc: Delivery) -> datetime:
    return datetime.fromisoformat(doc.next_attempt_at.replace("Z", "+00:00"))


def _lease_end(doc: Delivery) -> datetime:
    return datetime.fromisoformat(doc.claimed_until.replace("Z", "+00:00")) if doc.claimed_until else datetime.min.replace(tzinfo=timezone.utc)


def _claim(row: tables.Stored[Delivery]) -> tables.Stored[Delivery] | None:
    """The row, leased to this run for CLAIM_LEASE; None when another run holds or took it. The
    lease runs on the wall clock (not the run's `now`, which tests move): it is about processes."""
    wall = utc_now()
    held = row.doc.claimed_until
    if held and datetime.fromisoformat(held.replace("Z", "+00:00")) > wall:
        return None
    doc = row.doc.replace(claimed_until=iso(wall + CLAIM_LEASE))
    try:
        etag = tables.replace("activity", row.partition_key, row.row_key, doc.to_stored(), row.etag)
    except tables.EtagMismatch:
        return None  # another run claimed it first (or delivered and removed it)
    return tables.Stored(doc, etag, row.partition_key, row.row_key)


def _remove(row: tables.Stored[Delivery]) -> None:
    try:
        tables.delete("activity", row.partition_key, row.row_key, etag=row.etag)
    except tables.EtagMismatch:
        pass  # another run handled it


def _failed(organization: str, row: tables.Stored[Delivery], problem: str, moment: datetime) -> None:
    attempts = row.doc.attempts + 1
    doc = row.doc.replace(attempts=attempts, last_error=problem, claimed_until=None)
    log(logging.WARNING, "webhook_failed", organization=organization, delivery=doc.id, attempt=attempts, problem=problem)
    try:
        if attempts >= MAX_ATTEMPTS:  # dropped and recorded at once, by one run only
            abandoned = events.event_op("webhook.abandoned", outcome="failed", error=None,
                                        detail={"delivery": doc.id, "type": doc.type, "attempts": attempts, "last_error": problem})
            activity.transact(organization, [tables.Op("delete", row.row_key, etag=row.etag), abandoned])
            return
        doc = doc.replace(next_attempt_at=iso(moment + BACKOFF[attempts - 1]))
        tables.replace("activity", row.partition_key, row.row_key, doc.to_stored(), row.etag)
    except tables.EtagMismatch:
        pass  # our lease ran out and another run is handling this row
    except SsoError as err:
        log(logging.WARNING, "webhook_state_not_saved", organization=organization, delivery=doc.id, error=err.code)
