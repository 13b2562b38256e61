"""What the credential-lifecycle tests share: an org with an OIDC connection to the simulator, a
complete sign-in (start → simulator → callback → code exchange), and record access."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from tests.conftest import ApiClient
from tests.flows.helpers import ADELE, APP_REDIRECT, Browser, create_oidc_connection, oidc_sign_in, query, register_oidc_app


@dataclass
class OidcSetup:
    org: str
    app: dict
    connection: dict
    backend: ApiClient

    @property
    def url(self) -> str:
        return f"/api/organizations/{self.org}/connections/{self.connection['id']}"


def oidc_setup(stack, admin, new_org, **connection_fields) -> OidcSetup:
    org = new_org()
    app = register_oidc_app(stack)
    connection = create_oidc_connection(admin, org, app, **connection_fields)
    key = admin.post("/api/api-keys", json={"organization": org, "name": "backend"}).json()["key"]
    return OidcSetup(org, app, connection, ApiClient(stack.base_url, key))


def new_entra_secret(stack, setup: OidcSetup, expires_on: str = "2099-01-01") -> str:
    """What the admin does in Entra before rotating: add a second client secret to the app."""
    value = "sim-secret-" + secrets.token_urlsafe(12)
    stack.simulator.update_app(setup.app["client_id"], {"secrets": [{"value": value, "expires_on": expires_on}]})
    return value


def sign_in(stack, setup: OidcSetup, username: str = ADELE) -> dict:
    """A whole sign-in, ending with the backend's code exchange; returns the profile, or raises
    AssertionError saying which step failed."""
    browser = Browser(stack.simulator.ca_bundle)
    callback = oidc_sign_in(browser, stack, username, connection=setup.connection["id"])
    location = callback.headers.get("Location", "")
    assert callback.status_code == 302 and location.startswith(APP_REDIRECT + "?"), f"callback {callback.status_code}: {callback.text[:300]}"
    answer = query(location)
    assert "code" in answer, f"callback error: {answer}"
    exchanged = setup.backend.post("/api/sso/token", json={"code": answer["code"]})
    assert exchanged.status_code == 200, f"token exchange {exchanged.status_code}: {exchanged.text[:300]}"
    return exchanged.json()["profile"]


def record(connection_id: str) -> dict:
    from shared.storage import tables

    return tables.get("connections", connection_id, "connection").doc


def events_of(admin, org: str, event_type: str | None = None) -> list[dict]:
    items = admin.get(f"/api/organizations/{org}/events", params={"limit": 100}).json()["items"]
    return [e for e in items if event_type is None or e["type"] == event_type]


def org_with_webhook(admin, url: str) -> tuple[str, str]:
    """An org whose notification webhook is `url`, and the signing secret answered once."""
    slug = "org-" + secrets.token_hex(5)
    created = admin.post("/api/organizations", json={"id": slug, "name": slug, "redirect_uris": ["https://app.example.com/callback"],
                                                     "notification_webhook_url": url})
    assert created.status_code == 201, created.text
    return slug, created.json()["notification_webhook_secret"]


def org_doc(slug: str):
    from shared.orgs import organizations

    return organizations.get(slug).doc
