"""Setup-portal links and the sessions they open, in the org's partition of the `activity` table.

    POST .../portal-links   insert `portal_link_<sha256>` (status pending, 5 minutes)
    opening the link        read it; in ONE transaction: the link becomes `opened` (if still
                            unchanged: etag) + the session row `portal_session_<sha256>` + the event
    every portal request    read the session row named by the cookie; it lives 1 hour

The etag makes opening single use: of simultaneous openings exactly one commits (a conditional
replace, never a delete: delete_entity reports success on a row already gone). Link and cookie
are `<org>.<random>`: the org names the partition, the random part is stored only as a hash,
so rows read from storage open nothing. A session carries its CSRF token (random, per session).
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Literal

from shared.orgs import events
from shared.platform import validation as v
from shared.platform.errors import SsoError
from shared.platform.timestamps import iso, parse_iso, utc_now
from shared.storage import activity, tables
from shared.storage.record import Record, internal

Intent = Literal["sso", "domain_verification", "directory_sync", "credentials"]
LINK_PREFIX = "portal_link_"
SESSION_PREFIX = "portal_session_"
LINK_LIFETIME = timedelta(minutes=5)
SESSION_LIFETIME = timedelta(hours=1)


class PortalLink(Record):
    intent: Intent
    return_url: str | None = None
    status: Literal["pending", "opened"]
    expires_at: str


class PortalSession(Record):
    organization: str
    intent: Intent
    return_url: str | None = None
    expires_at: str
    csrf_token: str = internal()

    def indexed(self) -> dict:
        return {"expires_at": parse_iso(self.expires_at)}


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split(value: str | None) -> tuple[str, str] | None:
    """(org, random) of a link token or cookie, or None when malformed. Both pieces become keys,
    so each is checked before any storage call."""
    if not isinstance(value, str) or len(value) > 200:
        return None
    pieces = value.split(".")
    if len(pieces) != 2 or not all(v.is_storage_key(piece) for piece in pieces):
        return None
    return pieces[0], pieces[1]


def create_link(organization: str, intent: str, return_url: str | None) -> tuple[str, datetime]:
    """A new link token `<org>.<random>` and when it stops opening."""
    random_part = secrets.token_urlsafe(32)
    expires = utc_now() + LINK_LIFETIME
    link = PortalLink(intent=intent, return_url=return_url, status="pending", expires_at=iso(expires))
    activity.transact(organization, [
        tables.Op("create", LINK_PREFIX + _hash(random_part), link.to_stored(), indexed={"expires_at": expires}),
        events.event_op("portal.link_created", detail={"intent": intent}),
    ])
    return f"{organization}.{random_part}", expires


def _read_link(token: str) -> tables.Stored[PortalLink]:
    """The link a token names, while it can still be opened."""
    pieces = _split(token)
    stored = tables.get(activity.TABLE, pieces[0], LINK_PREFIX + _hash(pieces[1])) if pieces else None
    if stored is None:
        raise SsoError("portal_link_invalid")
    link = PortalLink.from_stored(stored.doc)
    if link.status != "pending":
        raise SsoError("portal_link_used")
    if parse_iso(link.expires_at) < utc_now():
        raise SsoError("portal_link_expired")
    return stored.typed(PortalLink.from_stored)


def peek_link(token: str) -> PortalLink:
    """The link, for the page before opening (which changes nothing)."""
    return _read_link(token).doc


def open_link(token: str) -> tuple[str, PortalSession]:
    """Opens the link once: answers the session cookie value and the session."""
    stored = _read_link(token)
    organization, link = stored.partition_key, stored.doc
    session_random = secrets.token_urlsafe(32)
    session = PortalSession(organization=organization, intent=link.intent, return_url=link.return_url,
                            expires_at=iso(utc_now() + SESSION_LIFETIME), csrf_token=secrets.token_urlsafe(32))
    opened = link.replace(status="opened")
    try:
        activity.transact(organization, [
            tables.Op("update", stored.row_key, opened.to_stored(), stored.etag, {"expires_at": parse_iso(link.expires_at)}),
            tables.Op("create", SESSION_PREFIX + _hash(session_random), session.to_stored(), indexed=session.indexed()),
            events.event_op("portal.session_started", detail={"intent": link.intent}),
        ])
    except (tables.EtagMismatch, tables.AlreadyExists):
        raise SsoError("portal_link_used") from None
    except activity.OrganizationGone:
        raise SsoError("portal_link_invalid") from None
    return f"{organization}.{session_random}", session


def read_session(cookie: str | None) -> PortalSession:
    """The live session a cookie names; `portal_session_invalid` for anything else."""
    pieces = _split(cookie)
    stored = tables.get(activity.TABLE, pieces[0], SESSION_PREFIX + _hash(pieces[1])) if pieces else None
    if stored is None:
        raise SsoError("portal_session_invalid")
    session = PortalSession.from_stored(stored.doc)
    if session.organization != pieces[0] or parse_iso(session.expires_at) < utc_now():
        raise SsoError("portal_session_invalid")
    return session


def check_csrf(session: PortalSession, presented: str | None) -> None:
    if not isinstance(presented, str) or not hmac.compare_digest(presented.encode(), session.csrf_token.encode()):
        raise SsoError("portal_form_refused")
