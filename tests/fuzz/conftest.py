"""Real records for the fuzz to aim at (an org with an OIDC and a SAML connection, a domain
claim, an invitation, an org-scoped key), so hostile input gets past the 404s; and a DNS server
on loopback, so a fuzzed domain verification never queries the outside world."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import pytest
from dnslib.server import DNSLogger, DNSServer

from tests.conftest import ApiClient
from tests.flows.helpers import create_oidc_connection, create_saml_connection, register_oidc_app
from tests.fuzz.routes import Route, body_methods, http_routes
from tests.policy.conftest import Zone, dns_resolver_setting


@dataclass(frozen=True)
class Targets:
    ids: dict[str, list[str]]  # route parameter -> real values for it
    keys: dict[str, str | None]  # who calls: global key, the org's key, a wrong key, none
    fields: dict[str, list[str]]  # route template -> the body fields it accepts


def accepted_fields(admin: ApiClient, route: Route, ids: dict[str, list[str]]) -> list[str]:
    """The fields a route's body accepts, as its own unknown_field answer lists them ("Accepted:
    a, b."), so a route added later is fuzzed with its fields without touching the tests."""
    found: set[str] = set()
    for method in body_methods(route):
        answer = admin.request(method, route.path({name: values[0] for name, values in ids.items()}), json={"fuzz_probe": 1})
        if answer.headers.get("Content-Type", "").startswith("application/json"):
            found.update(re.findall(r"[a-z_]+", answer.json().get("error_description", "").partition("Accepted:")[2]))
    return sorted(found)


@pytest.fixture(scope="module")
def empty_dns(stack):
    server = DNSServer(Zone(), address="127.0.0.1", port=0, logger=DNSLogger(logf=lambda *args: None))
    server.start_thread()
    with dns_resolver_setting(f"127.0.0.1:{server.server.server_address[1]}"):
        yield
    server.stop()
    server.server.server_close()


@pytest.fixture(scope="module")
def targets(stack, empty_dns) -> Targets:
    admin = ApiClient(stack.base_url, stack.bootstrap_key)
    org = "fuzz-" + secrets.token_hex(4)
    created = admin.post("/api/organizations", json={"id": org, "name": "Fuzz", "redirect_uris": ["https://app.example.com/callback"]})
    assert created.status_code == 201, created.text
    oidc = create_oidc_connection(admin, org, register_oidc_app(stack))["id"]
    saml = create_saml_connection(stack, admin, org)["id"]
    domain = f"fuzz-{secrets.token_hex(4)}.example.test"
    assert admin.post(f"/api/organizations/{org}/domains", json={"domain": domain}).status_code == 201
    invitation = admin.post(f"/api/organizations/{org}/invitations", json={"email": f"ada@{domain}"}).json()["id"]
    key = admin.post("/api/api-keys", json={"organization": org, "name": "fuzz"}).json()["key"]
    directory = admin.post(f"/api/organizations/{org}/directories", json={"name": "Fuzz"}).json()
    scim = ApiClient(directory["scim_base_url"], directory["token"])
    scim_json = {"Content-Type": "application/scim+json"}
    user = scim.post("/Users", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "fuzz@contoso.com"}, headers=scim_json).json()
    group = scim.post("/Groups", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Fuzz",
                                       "members": [{"value": user["id"]}]}, headers=scim_json).json()
    ids = {"org": [org], "connection": [oidc, saml], "domain": [domain], "invitation": [invitation], "directory": [directory["id"]],
           "id": [user["id"], group["id"]], "resource": ["Users", ".search", "Groups"]}
    return Targets(
        ids=ids, fields={route.template: accepted_fields(admin, route, ids) for route in http_routes() if body_methods(route)},
        keys={"global": stack.bootstrap_key, "org": key, "wrong": "sso_0123456789abcdef_" + "A" * 43, "none": None, "scim": directory["token"]},
    )
