"""The AuthnRequest, sent by the HTTP-Redirect binding (the only one Entra documents for SSO),
signed over the query string when the connection signs its requests."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from onelogin.saml2.auth import OneLogin_Saml2_Auth

from shared.saml.connection import SamlConnection
from shared.saml.sp_settings import toolkit_settings


@dataclass(frozen=True)
class AuthnRedirect:
    url: str  # where to send the browser (302)
    request_id: str  # store it with the login state: the response must answer exactly this id


def authn_request_redirect(config: SamlConnection, base_url: str, *, relay_state: str, force_authn: bool = False,
                           login_hint: str | None = None) -> AuthnRedirect:
    """`force_authn` asks Entra to prompt even with a session (prompt=login); `login_hint` fills
    in the user name (Entra takes it as a query parameter, not as a Subject in the request)."""
    auth = OneLogin_Saml2_Auth({}, toolkit_settings(config, base_url, with_sp_key=True))
    url = auth.login(return_to=relay_state, force_authn=force_authn)
    if login_hint:
        url += "&" + urlencode({"login_hint": login_hint})
    return AuthnRedirect(url=url, request_id=auth.get_last_request_id())
