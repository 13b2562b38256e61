"""How a sign-in ends, as a value. shared/web/sign_in_response.py turns it into the HTTP response,
so the sign-in itself knows nothing of HTTP.

A request refused before its sign-in could be found (unknown or used state, unknown connection,
the loser of a race for one login) is not an outcome: it raises SsoError, like any bad request.
"""

from dataclasses import dataclass

from shared.platform.errors import SsoError
from shared.signin.profile import EmailCheck


@dataclass(frozen=True)
class CodeRedirect:
    """Signed in: the app's redirect URI gets the one-time code and the app's own state."""
    redirect_uri: str
    code: str
    app_state: str


@dataclass(frozen=True)
class ErrorRedirect:
    """Refused once the app's redirect URI is known: it gets the error and the app's state."""
    redirect_uri: str
    error: SsoError  # as the app sees it: a 5xx is already `temporarily_unavailable`
    app_state: str


@dataclass(frozen=True)
class ErrorPage:
    """Refused with no redirect URI to send it to (an IdP-initiated SAML response): the browser's
    error page."""
    error: SsoError


@dataclass(frozen=True)
class DiagnosticPage:
    """An admin's test sign-in, which issues no code: each check, what was received, why
    `email_verified` is what it is, and the error that would end a real sign-in (None: it works)."""
    protocol: str
    checks: tuple
    received: dict | None
    email: EmailCheck | None
    error: SsoError | None


@dataclass(frozen=True)
class Notice:
    """An admin's step that ends on a page of its own (a one-click connection's consent proved)."""
    title: str
    message: str


@dataclass(frozen=True)
class Elsewhere:
    """Not this sign-in: the browser goes to another start (an organization's enforced SSO)."""
    url: str
    organization: str


Outcome = CodeRedirect | ErrorRedirect | ErrorPage | DiagnosticPage | Notice | Elsewhere
