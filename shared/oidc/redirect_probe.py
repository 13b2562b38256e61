"""Is this stamp's redirect URI registered on the app? Entra checks the client id and the
redirect URI of an authorize request before anyone signs in, and answers its own error page
(AADSTS700016: no such app; AADSTS50011: redirect URI not registered) instead of the sign-in
page. So one GET of the authorize URL, never followed, answers it without a user."""
from __future__ import annotations

import re
import secrets
from urllib.parse import urlencode

import requests

from shared.oidc.entra_tenant import authority_url
from shared.platform.errors import SsoError
from shared.platform.outbound import http_session

_CODE = re.compile(r"AADSTS(50011|700016)\b")


def probe_redirect_uri(tenant: str, client_id: str, redirect_uri: str) -> None:
    """Raises `redirect_uri_mismatch` or `application_not_found` with the fix; returns when
    Entra would show its sign-in page."""
    query = urlencode({"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code", "scope": "openid",
                       "response_mode": "query", "state": secrets.token_urlsafe(8),
                       "code_challenge": secrets.token_urlsafe(32), "code_challenge_method": "S256"})
    try:
        response = http_session().get(f"{authority_url(tenant)}/oauth2/v2.0/authorize?{query}", allow_redirects=False)
    except requests.RequestException as exc:
        raise SsoError("authority_unreachable", f"Entra could not be reached ({type(exc).__name__}); retry shortly.") from None
    if response.status_code >= 500:
        raise SsoError("authority_unreachable", f"Entra answered {response.status_code} to the redirect URI check; retry shortly.")
    found = _CODE.search(response.text if response.status_code < 300 or response.status_code >= 400 else "")
    if found and found.group(1) == "50011":
        raise SsoError("redirect_uri_mismatch", f"Entra (AADSTS50011) does not have {redirect_uri} as a redirect URI of this app: "
                       "in the app registration open Authentication, add a Web platform redirect URI with exactly that value, and save.")
    if found:
        raise SsoError("application_not_found", "Entra (AADSTS700016) has no application with this Application (client) ID in the tenant: "
                       "copy the Application (client) ID from the app registration's Overview page.")
