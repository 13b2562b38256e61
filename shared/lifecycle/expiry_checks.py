"""The daily `check_expiry` timer: every credential that can lapse, warned about before it does.

Checked per connection: an OIDC connection's current credential (its client secret, or its
certificate credential), and each SAML IdP signing certificate on a SAML connection. A
credential that expires within 60, 30, 7 or 1 days, or has expired, crosses that threshold;
each threshold of each credential is reported once, however many runs see it:

- a marker row `expiry_<connection>_<credential>_<threshold>` in the org's partition of the
  `activity` table is created in ONE transaction with the event (`credential.expiring` or
  `credential.expired`) and, when the org has a `notification_webhook_url`, the webhook's outbox
  row. A marker that already exists fails the transaction, so a threshold never fires twice,
  even when two runs overlap;
- a warning log line.

Only the tightest threshold crossed fires (a secret saved with 5 days left warns once, at 7,
not at 60, 30 and 7 together). A credential is identified by what makes it a different one:
a secret by its version and expiry date (a corrected date starts afresh), a certificate by its
thumbprint. Then the org's due webhooks are sent (shared/lifecycle/webhooks.py).

Organizations are handled in a small thread pool, each on its own: a failing org (storage error,
a slow webhook endpoint) is logged and never holds up or stops the others.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timezone

from shared.lifecycle import directory_expiry, webhook_due, webhooks
from shared.orgs import connections, events, organizations
from shared.orgs.records import Connection, Organization
from shared.platform.certificates import certificate_facts
from shared.platform.observability import log
from shared.platform.timestamps import end_of_day
from shared.storage import activity, tables

THRESHOLDS = (60, 30, 7, 1)
MARKER_PREFIX = "expiry_"
MAX_WORKERS = 8

_KIND_WORDS = {
    "client_secret": "The client secret",
    "certificate_credential": "The certificate credential",
    "idp_signing_certificate": "The SAML IdP signing certificate",
}
_EXPIRED_CODES = {"client_secret": "client_secret_expired", "certificate_credential": "certificate_expired", "idp_signing_certificate": "certificate_expired"}
_FIXES = {
    "client_secret": "create a new client secret in Entra (Certificates & secrets) and rotate it with POST .../secret",
    "certificate_credential": "create a new certificate with POST .../certificate, upload it to Entra and activate it",
    "idp_signing_certificate": "create a new SAML signing certificate in Entra, make it active, and update the connection's IdP certificates",
}


@dataclass(frozen=True)
class Credential:
    kind: str  # client_secret, certificate_credential, idp_signing_certificate
    key: str  # identifies this credential among the connection's (no secrets: versions and thumbprints)
    expires_at: datetime
    thumbprint: str | None = None


def credentials_of(connection: Connection) -> list[Credential]:
    if connection.protocol == "oidc":
        certificate = connection.certificate_credential
        if certificate:
            thumbprint, not_after = certificate_facts(certificate.certificate_pem)
            return [Credential("certificate_credential", f"cert-{thumbprint}", not_after, thumbprint)]
        if connection.client_secret_expires_on:
            version = connection.client_secret_version or "unknown"
            expires_on = connection.client_secret_expires_on
            return [Credential("client_secret", f"secret-{version}-{expires_on}", end_of_day(date.fromisoformat(expires_on)))]
        return []
    found = []
    for pem in connection.idp_certificates:
        try:
            thumbprint, not_after = certificate_facts(pem)
        except ValueError:
            continue  # refused when saved; never fail the whole check on one record
        found.append(Credential("idp_signing_certificate", f"idp-{thumbprint}", not_after, thumbprint))
    return found


def threshold(expires_at: datetime, now: datetime) -> str | None:
    """`expired`, or the tightest of 60/30/7/1 days crossed, or None."""
    if expires_at <= now:
        return "expired"
    days = (expires_at.date() - now.date()).days
    crossed = [t for t in THRESHOLDS if days <= t]
    return str(min(crossed)) if crossed else None


def _message(connection: Connection, credential: Credential, days_left: int, crossed: str) -> str:
    what = f"{_KIND_WORDS[credential.kind]}{' ' + credential.thumbprint if credential.thumbprint else ''} of connection {connection.display_name!r} ({connection.id})"
    when = credential.expires_at.date().isoformat()
    if crossed == "expired":
        return f"{what} expired on {when}: sign-ins fail until you {_FIXES[credential.kind]}."
    return f"{what} expires in {days_left} day(s), on {when}: {_FIXES[credential.kind]}."


def _successor(connection: Connection, credential: Credential) -> str | None:
    """For an IdP certificate: a listed certificate that outlives it (Entra's rollover)."""
    if credential.kind != "idp_signing_certificate":
        return None
    later = [c for c in credentials_of(connection) if c.expires_at > credential.expires_at]
    return max(later, key=lambda c: c.expires_at).thumbprint if later else None


def _fire(org: Organization, connection: Connection, credential: Credential, crossed: str, now: datetime) -> bool:
    """Reports one threshold of one credential, unless it already was. True when reported now."""
    days_left = (credential.expires_at.date() - now.date()).days
    message = _message(connection, credential, days_left, crossed)
    data = {
        "connection": connection.id,
        "connection_name": connection.display_name if connection.has("display_name") else None,
        "protocol": connection.protocol,
        "enabled": connection.enabled,
        "credential": credential.kind,
        "thumbprint": credential.thumbprint,
        "expires_on": credential.expires_at.date().isoformat(),
        "days_left": days_left,
        "threshold": crossed,
        "message": message,
    }
    successor = _successor(connection, credential)
    if successor:
        data["newer_certificate"] = successor
    event_type = "credential.expired" if crossed == "expired" else "credential.expiring"
    marker = tables.Op("create", f"{MARKER_PREFIX}{connection.id}_{credential.key}_{crossed}",
                       {"connection": connection.id, "credential": credential.kind, "threshold": crossed, "fired": now.isoformat()})
    event = events.event_op(event_type, connection=connection.id, outcome="warning",
                            error=_EXPIRED_CODES[credential.kind] if crossed == "expired" else None,
                            detail={k: v for k, v in data.items() if k not in ("connection", "message")} | {"message": message})
    ops = [marker, event]
    if org.notification_webhook_url:
        ops.append(webhooks.outbox_op(org.id, event_type, data, now=now))
    try:
        activity.transact(org.id, ops)
    except (tables.AlreadyExists, activity.OrganizationGone):
        return False  # reported before (or the org was deleted during the run)
    if org.notification_webhook_url:
        webhook_due.mark(org.id)  # the deliver_webhooks timer retries it, should this run's attempt fail
    log(logging.WARNING, event_type.replace(".", "_"), organization=org.id, connection=connection.id, credential=credential.kind,
        thumbprint=credential.thumbprint, expires_on=data["expires_on"], days_left=days_left, threshold=crossed)
    return True


def check_organization(org: Organization, now: datetime | None = None) -> dict:
    """One org: its connections' credentials, then its due webhooks."""
    now = now or datetime.now(timezone.utc)
    counts = {"credentials": 0, "warnings": 0}
    for connection in connections.list_for(org.id):
        for credential in credentials_of(connection):
            counts["credentials"] += 1
            crossed = threshold(credential.expires_at, now)
            if crossed and _fire(org, connection, credential, crossed, now):
                counts["warnings"] += 1
    for key, value in directory_expiry.check(org, now, threshold).items():  # directory Secret Tokens, likewise
        counts[key] += value
    counts.update(webhooks.deliver_pending(org, now=now))
    return counts


def run(now: datetime | None = None) -> dict:
    """The timer's work; returns totals (also logged)."""
    now = now or datetime.now(timezone.utc)
    totals = {"organizations": 0, "credentials": 0, "warnings": 0, "delivered": 0, "failed": 0, "dropped": 0, "errors": 0}

    def one(org: Organization) -> dict:
        try:
            return check_organization(org, now)
        except Exception as exc:  # one org's trouble is logged and never stops the others
            log(logging.ERROR, "check_expiry_failed", organization=org.id, error=getattr(exc, "code", type(exc).__name__))
            return {"errors": 1}

    with ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="check-expiry") as pool:
        for counts in pool.map(one, organizations.pages()):
            totals["organizations"] += 1
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
    log(logging.INFO, "check_expiry_done", **totals)
    return totals
