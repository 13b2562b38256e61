"""An Entra admin's whole OIDC setup through the portal in headless Chromium: a wrong secret
first (refused with the fix, nothing saved), then the right one, then a test sign-in in a new
window that ends on the diagnostic page."""
from __future__ import annotations

import secrets

import pytest

from tests.conftest import SECRET_WATCH
from tests.flows.helpers import CONTOSO, register_oidc_app
from tests.portal.browser import sign_in_in_popup
from tests.portal.helpers import RETURN_URL, new_link

pytestmark = pytest.mark.browser


def test_an_admin_connects_oidc_through_the_portal(stack, admin, new_org, page, shot):
    org, app = new_org(), register_oidc_app(stack)
    link = new_link(admin, org, "sso", return_url=RETURN_URL)["link"]

    page.goto(link)
    shot(page, "link opened")
    page.get_by_role("button", name="Start the setup").click()
    page.wait_for_url("**/portal/sso")
    shot(page, "connections, none yet")
    page.get_by_role("link", name="Set up OpenID Connect (recommended)").click()
    assert page.inner_text("#redirect-uri") == f"{stack.base_url}/auth/sso/microsoft/callback"
    shot(page, "oidc steps")

    wrong = "wrong-" + secrets.token_urlsafe(16)
    SECRET_WATCH.remember(wrong)
    page.get_by_label("Directory (tenant) ID").fill(CONTOSO)
    page.get_by_label("Application (client) ID").fill(app["client_id"])
    page.get_by_label("Client secret value").fill(wrong)
    page.get_by_label("Client secret expires on").fill("2099-01-01")
    page.get_by_role("button", name="Check and save").click()
    page.wait_for_selector("#checks-failed")
    shot(page, "wrong secret refused")
    credential = page.inner_text('[data-check="credential"]')
    assert "Failed" in credential and "Value (not its Secret ID)" in credential
    assert admin.get(f"/api/organizations/{org}/connections").json()["items"] == []
    assert page.get_by_label("Application (client) ID").input_value() == app["client_id"]
    assert page.get_by_label("Client secret value").input_value() == ""

    page.get_by_label("Client secret value").fill(app["secret"])
    page.get_by_role("button", name="Check and save").click()
    page.wait_for_selector("#saved")
    shot(page, "saved, every check passed")
    assert app["secret"] not in page.content()
    [connection] = admin.get(f"/api/organizations/{org}/connections").json()["items"]

    page.get_by_role("link", name="Go to your connections and test the sign-in").click()
    popup = sign_in_in_popup(page, shot, "test sign-in diagnostic", connection["id"])
    assert "adele.vance@contoso.com" in popup.content()

    page.get_by_role("link", name="Back to app.example.com").wait_for()
    assert page.get_by_role("link", name="Back to app.example.com").get_attribute("href") == RETURN_URL
