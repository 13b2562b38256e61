"""The scripts/dev step for the stamp's shared app (issue 15): a one-click connection consented
and proved by the admin of a new customer tenant, and a personal Microsoft account signing in
through Sign in with Microsoft; driven as a browser would, through public APIs only."""
from __future__ import annotations

import re
import secrets
import uuid
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
PERSONAL = "pat.personal@outlook.com"  # the simulator's consumer tenant (local/entra_sim/shared_app.py)


def shared_app_settings(sim_authority: str, sim_ca_bundle: str, base_url: str) -> dict:
    """Registers the SaaS's shared app in the simulator; answers the dev host's settings for it."""
    answer = requests.post(f"{sim_authority}/_sim/shared-app", json={"base_url": base_url}, verify=sim_ca_bundle, timeout=30)
    answer.raise_for_status()
    return answer.json()


class _Browser(requests.Session):
    def __init__(self, ca_bundle: str):
        super().__init__()
        self.trust_env, self.verify = False, ca_bundle

    def go(self, method: str, url: str, **kwargs) -> requests.Response:
        return self.request(method, url, allow_redirects=False, timeout=30, **kwargs)

    def pick(self, url: str, username: str, form_index: int = 0) -> requests.Response:
        """The simulator's account picker (or admin consent page): the POST its button makes."""
        page = self.go("GET", url).text.split("</form>")[form_index]
        action = unescape(re.search(r'<form[^>]*action="([^"]*)"', page).group(1))
        fields = {unescape(n): unescape(v) for n, v in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page)}
        return self.go("POST", urljoin(url, action), data={**fields, "username": username})


def _query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def demo_shared_app(*, base_url: str, bootstrap_key: str, sim_authority: str, sim_ca_bundle: str, app_redirect_uri: str) -> list[str]:
    """Runs both demonstrations; answers the lines to print."""
    api = requests.Session()
    api.trust_env = False
    api.headers["Authorization"] = f"Bearer {bootstrap_key}"
    sim = requests.Session()
    sim.trust_env, sim.verify = False, sim_ca_bundle
    tenant_id, domain = str(uuid.uuid4()), f"northwind-{secrets.token_hex(3)}.example"
    admin_upn = f"admin@{domain}"
    sim.post(f"{sim_authority}/_sim/tenants", timeout=30, json={"id": tenant_id, "name": "Northwind", "domains": [domain], "users": [
        {"upn": admin_upn, "name": "Nora Admin", "roles": [GLOBAL_ADMIN]},
        {"upn": f"user@{domain}", "name": "Uma User", "email": f"user@{domain}", "xms_edov": True}]}).raise_for_status()
    org = "oneclick"
    api.post(f"{base_url}/api/organizations", json={"id": org, "name": "One-click Org", "redirect_uris": [app_redirect_uri]}, timeout=30).raise_for_status()
    created = api.post(f"{base_url}/api/organizations/{org}/connections", json={"protocol": "oidc", "app": "shared"}, timeout=30)
    created.raise_for_status()
    connection = created.json()
    browser = _Browser(sim_ca_bundle)
    back = browser.pick(connection["admin_consent_url"], admin_upn)  # the admin accepts
    proof = browser.go("GET", back.headers["Location"])  # the stamp sends the admin to sign in
    callback = browser.pick(proof.headers["Location"], admin_upn)
    done = browser.go("GET", callback.headers["Location"])
    status = api.get(f"{base_url}/api/organizations/{org}/connections/{connection['id']}", timeout=30).json()["status"]
    lines = [f"  One-click:        org {org}, connection {connection['id']} ({status}; consent proved: {done.status_code == 200}) "
             f"for tenant Northwind, sign in as user@{domain}"]
    api.put(f"{base_url}/api/microsoft-sign-in", json={"enabled": True, "tenant_type": "common", "redirect_uris": [app_redirect_uri]},
            timeout=30).raise_for_status()
    started = browser.go("GET", f"{base_url}/auth/sso/start", params={"provider": "microsoft", "redirect_uri": app_redirect_uri, "state": "demo"})
    back = browser.pick(started.headers["Location"], PERSONAL)
    ended = browser.go("GET", back.headers["Location"])
    profile = api.post(f"{base_url}/api/sso/token", json={"code": _query(ended.headers["Location"]).get("code", "")}, timeout=30).json()
    person = profile.get("profile", {})
    lines.append(f"  Personal account: {person.get('email')} signed in through Sign in with Microsoft "
                 f"(tenant {person.get('entra_tenant_id')}, organization {person.get('organization')}); "
                 f"start: {base_url}/auth/sso/start?provider=microsoft&redirect_uri={app_redirect_uri}&state=x")
    return lines
