"""Driving whole sign-ins through the dev host and the Entra simulator, as a browser would."""
from __future__ import annotations

import json
import re
import secrets
import uuid
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from tests.conftest import SECRET_WATCH

DEMO = json.loads((Path(__file__).resolve().parents[2] / "local" / "entra_sim" / "demo_tenants.json").read_text())
CONTOSO = DEMO["tenants"][0]["id"]
FABRIKAM = DEMO["tenants"][1]["id"]
APP_REDIRECT = "https://app.example.com/callback"
ADELE = "adele.vance@contoso.com"  # email + xms_edov
BOB = "bob.kelly@contoso.com"  # no email claim: preferred_username only
MEGAN = "megan.bowen@contoso.com"  # over the groups limit: overage form


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def form_fields(page: str) -> dict[str, str]:
    return {unescape(n): unescape(v) for n, v in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page)}


def form_action(page: str) -> str:
    return unescape(re.search(r'<form[^>]*action="([^"]*)"', page).group(1))


class Browser(requests.Session):
    """Follows nothing by itself; trusts the simulator's CA explicitly (env CA settings ignored)."""

    def __init__(self, ca_bundle: str):
        super().__init__()
        self.trust_env = False
        self.verify = ca_bundle

    def request(self, method, url, **kwargs):
        kwargs["allow_redirects"] = False  # Session.get would default it to True
        kwargs.setdefault("timeout", 30)
        response = super().request(method, url, **kwargs)
        SECRET_WATCH.remember_exchange(kwargs, response)
        return response


def register_oidc_app(stack, tenant: str = CONTOSO, **spec) -> dict:
    client_id = str(uuid.uuid4())
    secret = "sim-secret-" + secrets.token_urlsafe(12)
    SECRET_WATCH.remember(secret)
    stack.simulator.add_app(tenant, {
        "client_id": client_id, "name": "entra-sso test", "redirect_uris": [f"{stack.base_url}/auth/sso/microsoft/callback"],
        "secrets": [{"value": secret, "expires_on": "2099-01-01"}], "optional_claims": ["email", "xms_edov"], "groups_claim": True, **spec,
    })
    return {"client_id": client_id, "secret": secret, "tenant": tenant}


def create_oidc_connection(admin, org: str, app: dict, **fields) -> dict:
    body = {"protocol": "oidc", "entra_tenant_id": app["tenant"], "client_id": app["client_id"],
            "client_secret": app["secret"], "client_secret_expires_on": "2099-01-01", **fields}
    response = admin.post(f"/api/organizations/{org}/connections", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def start(browser: Browser, stack, **params) -> requests.Response:
    params.setdefault("redirect_uri", APP_REDIRECT)
    params.setdefault("state", "app-state-" + secrets.token_hex(4))
    return browser.get(f"{stack.base_url}/auth/sso/start", params=params)


def entra_sign_in(browser: Browser, authorize_url: str, username: str) -> requests.Response:
    """Picks `username` on the simulator's sign-in page: the POST its button makes."""
    page = browser.get(authorize_url)
    assert page.status_code == 200, page.text[:500]
    action = urljoin(authorize_url, form_action(page.text))
    return browser.post(action, data={**form_fields(page.text), "username": username})


def oidc_sign_in(browser: Browser, stack, username: str = ADELE, **params) -> requests.Response:
    """start → simulator → callback; returns the callback's response (302 to the app, or a page)."""
    started = start(browser, stack, **params)
    assert started.status_code == 302, started.text[:500]
    from_entra = entra_sign_in(browser, started.headers["Location"], username)
    assert from_entra.status_code == 302, from_entra.text[:500]
    return browser.get(from_entra.headers["Location"])


def create_saml_connection(stack, admin, org: str, tenant: str = CONTOSO, **fields) -> dict:
    """A SAML connection by the tenant's federation metadata URL, and its enterprise app in the
    simulator with the identifier and reply URL the connection says to paste."""
    body = {"protocol": "saml", "idp_metadata_url": f"{stack.simulator.authority}/{tenant}/federationmetadata/2007-06/federationmetadata.xml", **fields}
    response = admin.post(f"/api/organizations/{org}/connections", json=body)
    assert response.status_code == 201, response.text
    connection = response.json()
    connection["sim_app"] = stack.simulator.add_saml_app(tenant, {"name": "entra-sso test", "identifier": connection["sp_entity_id"],
                                                                  "reply_url": connection["acs_url"]})
    return connection


def saml_response_form(browser: Browser, stack, username: str = ADELE, **params) -> tuple[str, dict]:
    """start → the simulator's SAML sign-in → (ACS URL, the auto-post form's fields)."""
    started = start(browser, stack, **params)
    assert started.status_code == 302, started.text[:500]
    page = entra_sign_in(browser, started.headers["Location"], username)
    assert page.status_code == 200 and "SAMLResponse" in page.text, page.text[:500]
    return form_action(page.text), form_fields(page.text)
