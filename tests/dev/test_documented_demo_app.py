"""The Entra simulator's documented demo apps (local/entra_sim/README.md, demo_tenants.json: the
client id and `contoso-demo-secret` / `fabrikam-demo-secret`) work under scripts/dev as documented:
an admin connects one and a user signs in through it."""
from __future__ import annotations

import json
import re
import secrets
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

from local.azurite import ROOT
from tests.dev.conftest import Http

TENANTS = json.loads((ROOT / "local" / "entra_sim" / "demo_tenants.json").read_text())["tenants"]
APP_CALLBACK = "https://app.example.com/callback"


def _form(page: str) -> tuple[str, dict]:
    action = unescape(re.search(r'<form[^>]*action="([^"]*)"', page).group(1))
    fields = {unescape(n): unescape(v) for n, v in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page)}
    return action, fields


@pytest.mark.parametrize("tenant", TENANTS, ids=[t["name"] for t in TENANTS])
def test_a_connection_with_the_documented_demo_app_signs_in(dev, admin_api, tenant):
    info, app, user = dev.info, tenant["apps"][0], tenant["users"][0]
    base = info["base_url"]
    org = "demoapp-" + secrets.token_hex(4)
    assert admin_api.post(f"{base}/api/organizations", json={"id": org, "name": "Demo app check",
                                                             "redirect_uris": [APP_CALLBACK]}).status_code == 201
    created = admin_api.post(f"{base}/api/organizations/{org}/connections", json={
        "protocol": "oidc", "entra_tenant_id": tenant["id"], "client_id": app["client_id"],
        "client_secret": app["secrets"][0]["value"], "client_secret_expires_on": "2099-12-31"})
    assert created.status_code == 201, created.text

    browser = Http()
    started = browser.get(f"{base}/auth/sso/start", params={"connection": created.json()["id"], "redirect_uri": APP_CALLBACK, "state": "s1"})
    assert started.status_code == 302, started.text
    authorize = started.headers["Location"]
    picker = browser.get(authorize)
    assert picker.status_code == 200, picker.text  # not AADSTS50011: the service's callback is registered
    action, fields = _form(picker.text)
    signed_in = browser.post(urljoin(authorize, action), data={**fields, "username": user["upn"]})
    assert signed_in.status_code == 302, signed_in.text
    back = browser.get(signed_in.headers["Location"])
    assert back.status_code == 302 and back.headers["Location"].startswith(APP_CALLBACK), back.text
    code = parse_qs(urlsplit(back.headers["Location"]).query)["code"][0]

    key = admin_api.post(f"{base}/api/api-keys", json={"organization": org, "name": "demo app check"}).json()["key"]
    profile = Http(headers={"Authorization": f"Bearer {key}"}).post(f"{base}/api/sso/token", json={"code": code})
    assert profile.status_code == 200, profile.text
    assert profile.json()["profile"]["name"] == user["name"]
