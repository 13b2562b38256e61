"""One click from the portal (the stamp's shared app): offered only when the stamp has one; it
creates the pending connection (an org event by the portal), hands out the admin consent URL,
and shows the connection's state through Entra's grant or refusal; cross-site posts refused."""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from html import unescape

from shared.platform.settings import get_settings
from tests.lifecycle.helpers import events_of
from tests.portal.helpers import csrf_token, portal_session
from tests.shared_app.helpers import consent, customer_tenant, prove

SHARED_APP_SETTINGS = ("SSO_SHARED_APP_CLIENT_ID", "SSO_SHARED_APP_TENANT_ID", "SSO_SHARED_APP_CREDENTIAL")


@contextmanager
def no_shared_app():
    """The stamp as an operator who never set up the shared app runs it."""
    saved = {name: os.environ.pop(name) for name in SHARED_APP_SETTINGS}
    get_settings.cache_clear()
    try:
        yield
    finally:
        os.environ.update(saved)
        get_settings.cache_clear()


def _state(page: str) -> str:
    return re.search(r'id="one-click-status" aria-live="polite" data-state="(\w+)"', page).group(1)


def _consent_url(page: str) -> str:
    return unescape(re.search(r'id="open-consent" href="([^"]+)"', page).group(1))


def _start(client):
    started = client.submit("/portal/sso/one-click", {}, page_path="/portal/sso")
    assert started.status_code == 303, started.text
    return started.headers["Location"]


def test_offered_only_when_the_stamp_has_a_shared_app(stack, admin, new_org):
    org = new_org()
    client = portal_session(stack, admin, org)
    assert "Connect with one click (admin consent)" in client.get("/portal/sso").text
    token = csrf_token(client.get("/portal/sso").text)
    with no_shared_app():
        page = client.get("/portal/sso").text
        refused = client.post("/portal/sso/one-click", data={"csrf_token": token}, headers={"Origin": stack.base_url, "Sec-Fetch-Site": "same-origin"})
    assert "one-click" not in page and "admin consent" not in page
    assert refused.status_code == 400 and "shared_app_not_configured" in refused.text
    assert admin.get(f"/api/organizations/{org}/connections").json()["items"] == []


def test_a_grant_takes_the_connection_from_pending_to_active(stack, admin, new_org, browser):
    org, tenant = new_org(), customer_tenant(stack)
    client = portal_session(stack, admin, org)
    path = _start(client)
    connection_id = path.rsplit("/", 1)[1]
    page = client.get(path).text
    assert _state(page) == "waiting" and 'target="_blank"' in page
    url = _consent_url(page)
    assert url.startswith(stack.simulator.authority) and f"state={org}." in url
    [created] = events_of(admin, org, "connection.created")
    assert created["connection"] == connection_id and created["detail"] == {"protocol": "oidc", "app": "shared", "actor": "portal",
                                                                            "correlation_id": created["detail"]["correlation_id"]}

    answer = consent(browser, url, tenant["admin"])
    assert _state(client.get(path).text) == "proving"  # Entra answered; the admin's proof sign-in is under way
    proved = prove(browser, answer, tenant["admin"])
    assert proved.status_code == 200 and "Connected" in proved.text
    page = client.get(path).text
    assert _state(page) == "active" and tenant["id"] in page
    assert admin.get(f"/api/organizations/{org}/connections/{connection_id}").json()["status"] == "active"


def test_a_refusal_shows_its_reason_and_fix_and_start_again_replaces_the_connection(stack, admin, new_org, browser):
    org, tenant = new_org(), customer_tenant(stack)
    client = portal_session(stack, admin, org)
    path = _start(client)
    old = path.rsplit("/", 1)[1]
    answer = consent(browser, _consent_url(client.get(path).text), tenant["admin"], decision="cancel")
    assert answer.status_code == 400
    page = client.get(path).text
    assert _state(page) == "refused" and 'id="consent-error">admin_consent_declined<' in page
    assert "Press Start again for a new consent link, open it as an administrator of your Entra tenant and choose Accept." in unescape(page)
    assert admin.get(f"/api/organizations/{org}/connections/{old}").json()["status"] == "pending"

    again = client.submit("/portal/sso/one-click", {"replace": old}, page_path=path)
    assert again.status_code == 303
    new = again.headers["Location"].rsplit("/", 1)[1]
    assert [c["id"] for c in admin.get(f"/api/organizations/{org}/connections").json()["items"]] == [new]
    [deleted] = events_of(admin, org, "connection.deleted")
    assert deleted["connection"] == old and deleted["detail"]["actor"] == "portal"
    assert _state(client.get(again.headers["Location"]).text) == "waiting"


def test_start_again_never_deletes_a_connected_or_foreign_connection(stack, admin, new_org, browser):
    org, tenant = new_org(), customer_tenant(stack)
    client = portal_session(stack, admin, org)
    path = _start(client)
    connected = path.rsplit("/", 1)[1]
    prove(browser, consent(browser, _consent_url(client.get(path).text), tenant["admin"]), tenant["admin"])
    refused = client.submit("/portal/sso/one-click", {"replace": connected}, page_path=path)
    assert refused.status_code == 409 and "consent_already_bound" in refused.text
    other = new_org()
    theirs = _start(portal_session(stack, admin, other)).rsplit("/", 1)[1]
    assert client.submit("/portal/sso/one-click", {"replace": theirs}, page_path=path).status_code == 404
    assert client.get(f"/portal/sso/one-click/{theirs}").status_code == 404
    assert len(admin.get(f"/api/organizations/{other}/connections").json()["items"]) == 1
    assert [c["id"] for c in admin.get(f"/api/organizations/{org}/connections").json()["items"]] == [connected]


def test_the_one_click_form_refuses_cross_site_posts_and_a_missing_token(stack, admin, new_org):
    org = new_org()
    client = portal_session(stack, admin, org)
    token = csrf_token(client.get("/portal/sso").text)
    for headers, body in (({"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, {"csrf_token": token}),
                          ({"Sec-Fetch-Site": "same-site"}, {"csrf_token": token}),
                          ({"Origin": stack.base_url, "Sec-Fetch-Site": "same-origin"}, {"replace": ""}),
                          ({"Origin": stack.base_url, "Sec-Fetch-Site": "same-origin"}, {"csrf_token": token + "x"})):
        refused = client.post("/portal/sso/one-click", data=body, headers=headers)
        assert refused.status_code == 403 and "portal_form_refused" in refused.text, headers
    assert admin.get(f"/api/organizations/{org}/connections").json()["items"] == []
