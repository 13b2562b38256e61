"""Seeds the demo: an organization `demo` with an OIDC and a SAML connection to the simulator's
Contoso tenant, wired only through public APIs (our admin API and the simulator's /_sim API),
exactly as an admin and an Entra app registration would be."""
from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import requests

DEMO_TENANTS = json.loads((Path(__file__).resolve().parent / "entra_sim" / "demo_tenants.json").read_text())
CONTOSO = DEMO_TENANTS["tenants"][0]
FABRIKAM = DEMO_TENANTS["tenants"][1]  # the second tenant a newcomer connects through the setup portal
ORG = "demo"


@dataclass(frozen=True)
class Demo:
    organization: str
    oidc_connection: str
    saml_connection: str
    api_key: str
    users: list[str]
    verified_domains: list[str] = field(default_factory=list)


class _Client(requests.Session):
    def __init__(self, base_url: str, verify, headers: dict | None = None):
        super().__init__()
        self.trust_env = False  # the machine's REQUESTS_CA_BUNDLE must not replace our CA choice
        self.base_url, self.verify = base_url, verify
        self.headers.update(headers or {})

    def call(self, method: str, path: str, **kwargs) -> dict:
        response = self.request(method, self.base_url + path, timeout=30, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else {}


def create_organization(api: _Client, redirect_uri: str, slug: str = ORG) -> None:
    api.call("POST", "/api/organizations", json={"id": slug, "name": "Demo Org", "redirect_uris": [redirect_uri]})


def add_oidc_connection(api: _Client, sim: _Client, base_url: str, slug: str = ORG) -> str:
    """Registers an app in the simulator's Contoso tenant, as an admin would in Entra, and connects it."""
    client_id, secret = str(uuid.uuid4()), "demo-" + secrets.token_urlsafe(24)
    sim.call("POST", f"/_sim/tenants/{CONTOSO['id']}/apps", json={
        "client_id": client_id, "name": "entra-sso demo (OIDC)", "redirect_uris": [f"{base_url}/auth/sso/microsoft/callback"],
        "secrets": [{"value": secret, "expires_on": "2099-12-31"}], "optional_claims": ["email", "xms_edov"], "groups_claim": True,
    })
    return api.call("POST", f"/api/organizations/{slug}/connections", json={
        "protocol": "oidc", "display_name": "Contoso (OIDC)", "entra_tenant_id": CONTOSO["id"], "client_id": client_id,
        "client_secret": secret, "client_secret_expires_on": "2099-12-31",
    })["id"]


def add_saml_connection(api: _Client, sim: _Client, sim_authority: str, slug: str = ORG) -> str:
    """Connects the tenant's SAML IdP by its metadata URL, then registers the enterprise app in the
    simulator with the identifier and reply URL the connection says to paste."""
    saml = api.call("POST", f"/api/organizations/{slug}/connections", json={
        "protocol": "saml", "display_name": "Contoso (SAML)",
        "idp_metadata_url": f"{sim_authority}/{CONTOSO['id']}/federationmetadata/2007-06/federationmetadata.xml",
    })
    sim.call("POST", f"/_sim/tenants/{CONTOSO['id']}/saml-apps", json={
        "name": "entra-sso demo (SAML)", "identifier": saml["sp_entity_id"], "reply_url": saml["acs_url"],
    })
    return saml["id"]


def verify_domain(api: _Client, domain: str, publish_txt: Callable[[str, str], None], slug: str = ORG) -> None:
    """Claims `domain`, publishes its TXT record (in scripts/dev's loopback DNS) and verifies it,
    as an admin would with their DNS host."""
    record = api.call("POST", f"/api/organizations/{slug}/domains", json={"domain": domain})["txt_record"]
    publish_txt(record["name"], record["value"])
    api.call("POST", f"/api/organizations/{slug}/domains/{domain}/verify")


def allow_demo_apps(sim: _Client, base_url: str) -> None:
    """The simulator's documented demo apps (demo_tenants.json) list the callback of a service on
    http://localhost:7071; this adds the running service's own, so a connection made with one of
    them (its client id and `contoso-demo-secret`) signs in whatever port scripts/dev uses."""
    callback = f"{base_url}/auth/sso/microsoft/callback"
    for tenant in DEMO_TENANTS["tenants"]:
        for app in sim.call("GET", f"/_sim/tenants/{tenant['id']}")["apps"]:
            if any(app["client_id"] == documented.get("client_id") for documented in tenant.get("apps", [])) \
                    and callback not in app["redirect_uris"]:
                sim.call("PATCH", f"/_sim/apps/{app['client_id']}", json={"redirect_uris": [*app["redirect_uris"], callback]})


def clients(base_url: str, bootstrap_key: str, sim_authority: str, sim_ca_bundle: str) -> tuple[_Client, _Client]:
    return _Client(base_url, True, {"Authorization": f"Bearer {bootstrap_key}"}), _Client(sim_authority, sim_ca_bundle)


def seed_demo(*, base_url: str, bootstrap_key: str, sim_authority: str, sim_ca_bundle: str, app_redirect_uri: str,
              publish_txt: Callable[[str, str], None] | None = None) -> Demo:
    """With `publish_txt` (a DNS the service resolves through), Contoso's primary domain is verified
    too, so `email_verified` is true for its users whose email Entra vouches for (`xms_edov`)."""
    api, sim = clients(base_url, bootstrap_key, sim_authority, sim_ca_bundle)
    create_organization(api, app_redirect_uri)
    allow_demo_apps(sim, base_url)
    verified = []
    if publish_txt is not None:
        verify_domain(api, CONTOSO["domains"][0], publish_txt)
        verified.append(CONTOSO["domains"][0])
    oidc = add_oidc_connection(api, sim, base_url)
    saml = add_saml_connection(api, sim, sim_authority)
    api.call("PATCH", f"/api/organizations/{ORG}", json={"default_connection": oidc})
    key = api.call("POST", "/api/api-keys", json={"organization": ORG, "name": "demo sample app"})["key"]
    return Demo(ORG, oidc, saml, key, [u["upn"] for u in CONTOSO["users"]], verified)


@dataclass(frozen=True)
class SecondTenant:
    """An app registration in the simulator's Fabrikam tenant, made as its Entra admin would (App
    registrations, a client secret, the optional claims): what a newcomer pastes into the portal."""
    tenant_id: str
    client_id: str
    client_secret: str
    saml_metadata_url: str
    saml_app_command: str


def second_tenant_app(*, base_url: str, bootstrap_key: str, sim_authority: str, sim_ca_bundle: str) -> SecondTenant:
    _, sim = clients(base_url, bootstrap_key, sim_authority, sim_ca_bundle)
    tenant = FABRIKAM["id"]
    client_id, secret = str(uuid.uuid4()), "fabrikam-" + secrets.token_urlsafe(24)
    sim.call("POST", f"/_sim/tenants/{tenant}/apps", json={
        "client_id": client_id, "name": "entra-sso (portal demo)", "redirect_uris": [f"{base_url}/auth/sso/microsoft/callback"],
        "secrets": [{"value": secret, "expires_on": "2099-12-31"}], "optional_claims": ["email", "xms_edov"],
    })
    # Entra's "Enterprise applications > New application > Set up single sign-on > SAML", as the simulator's call
    command = (f"curl --cacert {sim_ca_bundle} -X POST -H 'Content-Type: application/json' {sim_authority}/_sim/tenants/{tenant}/saml-apps "
               "-d '{\"name\": \"entra-sso (portal demo)\", \"identifier\": \"<Identifier (Entity ID)>\", \"reply_url\": \"<Reply URL>\"}'")
    return SecondTenant(tenant, client_id, secret, f"{sim_authority}/{tenant}/federationmetadata/2007-06/federationmetadata.xml", command)


def portal_link(base_url: str, bootstrap_key: str, organization: str = ORG) -> str:
    """A one-time setup-portal link for the org (open it within 5 minutes), as a SaaS hands one out."""
    api = _Client(base_url, True, {"Authorization": f"Bearer {bootstrap_key}"})
    return api.call("POST", f"/api/organizations/{organization}/portal-links", json={"intent": "sso"})["link"]


@dataclass(frozen=True)
class DemoDirectory:
    id: str
    job: str
    events_url: str
    counts: dict

    @property
    def summary(self) -> str:
        return ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in sorted(self.counts.items())) or "nothing to do"


def add_directory(*, base_url: str, bootstrap_key: str, sim_authority: str, sim_ca_bundle: str, connection: str,
                  slug: str = ORG, interval_seconds: float = 10) -> DemoDirectory:
    """A directory for the org, filled by the simulator's provisioning of Contoso as an Entra admin
    sets it up: Tenant URL + Secret Token, Test Connection, Start provisioning (cycles every
    `interval_seconds`, so a change made in the simulator shows up in the directory soon after)."""
    api, sim = clients(base_url, bootstrap_key, sim_authority, sim_ca_bundle)
    directory = api.call("POST", f"/api/organizations/{slug}/directories", json={"name": "Contoso (Entra ID)", "connection": connection})
    job = sim.call("POST", f"/_sim/tenants/{CONTOSO['id']}/provisioning/jobs", json={
        "tenant_url": directory["scim_base_url"] + "?aadOptscim062020", "secret_token": directory["token"]})
    tested = sim.call("POST", f"/_sim/provisioning/jobs/{job['id']}/test-connection")
    if not tested["ok"]:
        raise RuntimeError(f"Test Connection to {directory['scim_base_url']} failed: {tested}")
    first = sim.call("POST", f"/_sim/provisioning/jobs/{job['id']}/cycles")
    sim.call("POST", f"/_sim/provisioning/jobs/{job['id']}/start", json={"interval_seconds": interval_seconds})
    return DemoDirectory(directory["id"], job["id"], f"{base_url}/api/organizations/{slug}/directories/{directory['id']}/events", first["counts"])
