"""Where a one-click connection stands, for the portal's state page: waiting for the admin
consent (its URL), Entra answered and the admin's proof sign-in is under way, connected, or
refused (Entra's or the proof's reason, and its fix), or the consent link expired."""
from __future__ import annotations

from dataclasses import dataclass

from shared.orgs import events
from shared.orgs.records import Connection
from shared.platform.errors import CATALOGUE
from shared.signin import consent

# The page stops polling in these states: only a new connection ("Start again") changes them.
FINAL = ("active", "refused", "expired")
# The fix in the portal's words (its "Start again" button is the API's "create the connection again").
AGAIN = "Press Start again for a new consent link"
PORTAL_FIXES = {
    "admin_consent_declined": f"{AGAIN}, open it as an administrator of your Entra tenant and choose Accept.",
    "admin_consent_failed": f"{AGAIN}; an administrator (Global, Privileged Role, Cloud Application or Application Administrator) opens it and accepts.",
    "consent_not_admin": f"{AGAIN}, and accept and sign in with an account holding one of those roles.",
    "admin_consent_missing": f"{AGAIN} and accept it: Entra does not confirm the consent (never granted, or the enterprise app was removed).",
    "consent_expired": f"{AGAIN}: a consent link works for 24 hours.",
}


@dataclass(frozen=True)
class State:
    name: str  # waiting, proving, active, refused, expired
    consent_url: str | None = None
    code: str = ""
    message: str = ""
    fix: str = ""

    @property
    def final(self) -> bool:
        return self.name in FINAL


def _last_consent_event(connection: Connection):
    recent, _ = events.list_events(connection.organization, None, 100)
    return next((e for e in recent if e.type == "connection.consent" and e.connection == connection.id), None)


def of(connection: Connection) -> State:
    if not consent.is_pending(connection):
        return State("active")
    request = consent.latest_request(connection.organization, connection.id)
    if request is None or (request.status == "pending" and request.expired()):
        return State("expired", code="consent_expired", fix=PORTAL_FIXES["consent_expired"])
    if request.status == "pending":
        return State("waiting", consent_url=consent.consent_url(request))
    last = _last_consent_event(connection)
    if last is not None and last.outcome == "failed":
        code = last.error or "admin_consent_failed"
        spec = CATALOGUE.get(code)
        return State("refused", code=code, message=str(last.detail.get("message") or ""), fix=PORTAL_FIXES.get(code) or (spec.fix if spec else ""))
    return State("proving")
