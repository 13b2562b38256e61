"""Driving a one-click connection through the simulator: a fresh customer tenant with an admin
and a user, the admin consent page, and the proof sign-in that follows it."""
from __future__ import annotations

import secrets
import uuid
from urllib.parse import urljoin

from local.entra_sim.shared_app import GLOBAL_ADMIN, SHARED_APP_CLIENT_ID
from tests.flows.helpers import entra_sign_in, form_action, form_fields, query

APP_ADMIN = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"  # Application Administrator
HELPDESK_ADMIN = "729827e3-9c14-49f7-bb1b-9608f156bbb8"  # cannot grant consent


def customer_tenant(stack, *, name: str = "Northwind") -> dict:
    """A new tenant: `admin` (Global Administrator), `user` (email, xms_edov), `helpdesk` (a role
    that cannot grant consent)."""
    tenant_id = str(uuid.uuid4())
    domain = f"nw-{secrets.token_hex(4)}.example"
    stack.simulator.add_tenant({"id": tenant_id, "name": name, "domains": [domain], "users": [
        {"upn": f"admin@{domain}", "name": "Nora Admin", "roles": [GLOBAL_ADMIN]},
        {"upn": f"user@{domain}", "name": "Uma User", "email": f"user@{domain}", "xms_edov": True},
        {"upn": f"helpdesk@{domain}", "name": "Hal Desk", "roles": [HELPDESK_ADMIN]},
    ]})
    return {"id": tenant_id, "domain": domain, "admin": f"admin@{domain}", "user": f"user@{domain}", "helpdesk": f"helpdesk@{domain}"}


def create_shared(admin, org: str, **fields):
    return admin.post(f"/api/organizations/{org}/connections", json={"protocol": "oidc", "app": "shared", **fields})


def consent_page_post(browser, consent_url: str, username: str, decision: str = "accept"):
    """The simulator's admin consent page: the account picker (accept) or its Cancel form."""
    page = browser.get(consent_url)
    assert page.status_code == 200, page.text[:500]
    forms = page.text.split("</form>")
    form = forms[0] if decision == "accept" else forms[1]
    return browser.post(urljoin(consent_url, form_action(form)), data={**form_fields(form), "username": username})


def consent(browser, consent_url: str, username: str, decision: str = "accept"):
    """Admin consent at Entra, back to the stamp's consent route: returns that route's answer."""
    back = consent_page_post(browser, consent_url, username, decision)
    assert back.status_code == 302, back.text[:500]
    return browser.get(back.headers["Location"])


def prove(browser, answer, username: str):
    """The consent route sent the admin to sign in: do it, and return the callback's answer."""
    assert answer.status_code == 302, answer.text[:500]
    from_entra = entra_sign_in(browser, answer.headers["Location"], username)
    assert from_entra.status_code == 302, from_entra.text[:500]
    return browser.get(from_entra.headers["Location"])


def one_click(stack, admin, browser, org: str, tenant: dict) -> dict:
    """A connection through the shared app, consented and proved by the tenant's admin."""
    created = create_shared(admin, org)
    assert created.status_code == 201, created.text
    done = prove(browser, consent(browser, created.json()["admin_consent_url"], tenant["admin"]), tenant["admin"])
    assert done.status_code == 200, done.text[:800]
    return admin.get(f"/api/organizations/{org}/connections/{created.json()['id']}").json()


__all__ = ["SHARED_APP_CLIENT_ID", "query"]
