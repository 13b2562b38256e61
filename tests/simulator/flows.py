"""Helpers that drive the simulator the way the service and a browser do."""

import base64
import datetime
import uuid
import zlib
from urllib.parse import parse_qsl, urlsplit

import requests
from lxml import html

from local.entra_sim.oidc_routes import pkce_s256

CONTOSO = "0ff014fc-8490-4ab7-bf04-c6875829a31f"
FABRIKAM = "2ec7d01f-b28f-4f43-a09e-28545b0a28e9"
ADELE = "adele.vance@contoso.com"  # email + xms_edov, two groups
BOB = "bob.kelly@contoso.com"  # no email
MEGAN = "megan.bowen@contoso.com"  # 251 groups: overage
CARLOS = "carlos.ortiz@fabrikam.com"


class TrustingSession(requests.Session):
    """Trusts the simulator's CA on every request: REQUESTS_CA_BUNDLE, set on these machines,
    would override a Session's own `verify`."""

    def __init__(self, ca_bundle: str):
        super().__init__()
        self.ca_bundle = ca_bundle

    def request(self, method, url, **kwargs):
        kwargs["verify"] = self.ca_bundle
        return super().request(method, url, **kwargs)


def pkce_pair() -> tuple[str, str]:
    verifier = uuid.uuid4().hex + uuid.uuid4().hex
    return verifier, pkce_s256(verifier)


def authorize_params(app: dict, challenge: str, **extra) -> dict:
    return {"client_id": app["client_id"], "response_type": "code",
            "redirect_uri": app["redirect_uri"], "scope": "openid profile email",
            "state": "st-" + uuid.uuid4().hex, "nonce": "n-" + uuid.uuid4().hex,
            "code_challenge": challenge, "code_challenge_method": "S256", **extra}


def sign_in(http, sim, tenant: str, params: dict, username: str) -> requests.Response:
    """What the account picker's button does: POST the authorize parameters plus username."""
    return http.post(f"{sim.authority}/{tenant}/oauth2/v2.0/authorize",
                     data={**params, "username": username}, allow_redirects=False)


def redirect_params(response: requests.Response) -> dict:
    assert response.status_code == 302, response.text
    return dict(parse_qsl(urlsplit(response.headers["Location"]).query))


def redeem(http, sim, tenant: str, app: dict, code: str, verifier: str, **extra):
    return http.post(f"{sim.authority}/{tenant}/oauth2/v2.0/token", data={
        "grant_type": "authorization_code", "client_id": app["client_id"],
        "client_secret": app["secret"], "code": code, "redirect_uri": app["redirect_uri"],
        "code_verifier": verifier, **extra})


def posted_form(page: str) -> tuple[str, dict]:
    """The action and hidden fields of an auto-posting form (form_post, SAML HTTP-POST)."""
    form = html.fromstring(page).forms[0]
    return form.action, {i.name: i.value for i in form.inputs if i.type == "hidden"}


def authn_request(issuer: str, acs_url: str | None, request_id: str, *,
                  deflate: bool = True) -> str:
    """An SP's AuthnRequest, encoded for the HTTP-Redirect binding (or plain, for HTTP-POST)."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    acs = f' AssertionConsumerServiceURL="{acs_url}"' if acs_url else ""
    xml = (f'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
           f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{request_id}" '
           f'Version="2.0" IssueInstant="{now}"{acs}><saml:Issuer>{issuer}</saml:Issuer>'
           '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"'
           ' AllowCreate="true"/></samlp:AuthnRequest>').encode()
    if deflate:
        compressor = zlib.compressobj(wbits=-15)
        xml = compressor.compress(xml) + compressor.flush()
    return base64.b64encode(xml).decode()
