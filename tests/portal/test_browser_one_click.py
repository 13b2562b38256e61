"""One click in headless Chromium: the SSO page offers "Connect with one click (admin consent)",
the state page opens Entra's (the simulator's) admin consent page in a new window, and the
portal window follows the connection's state by itself: pending -> active after a grant and
the admin's proof sign-in; refused with the fix after a Cancel, then "Start again". Also by
keyboard alone, axe-core on each new page, and absent when the stamp has no shared app."""
from __future__ import annotations

import pytest

from tests.lifecycle.helpers import events_of
from tests.portal.accessibility import assert_accessible, tab_to
from tests.portal.browser import open_sso_by_keyboard
from tests.portal.helpers import RETURN_URL, new_link
from tests.portal.test_one_click import no_shared_app
from tests.shared_app.helpers import customer_tenant

pytestmark = pytest.mark.browser


def _to_state_page(page, admin, org: str, shot) -> str:
    page.goto(new_link(admin, org, "sso", return_url=RETURN_URL)["link"])
    page.get_by_role("button", name="Start the setup").click()
    page.wait_for_url("**/portal/sso")
    shot(page, "one click offered")
    assert_accessible(page)
    page.get_by_role("button", name="Connect with one click (admin consent)").click()
    page.wait_for_selector('#one-click-status[data-state="waiting"]')
    shot(page, "waiting for the admin consent")
    assert_accessible(page)
    return page.url.rsplit("/", 1)[1]


def test_a_grant_in_the_consent_window_turns_the_portal_page_active(stack, admin, new_org, page, shot):
    org, tenant = new_org(), customer_tenant(stack)
    connection = _to_state_page(page, admin, org, shot)
    with page.expect_popup() as popup_info:
        page.get_by_role("link", name="Open the admin consent page").click()
    popup = popup_info.value
    popup.wait_for_selector("text=Permissions requested")
    shot(popup, "entra admin consent page")
    popup.locator(f'button[value="{tenant["admin"]}"]').click()  # Accept, as the tenant's Global Administrator
    popup.wait_for_url("**/oauth2/v2.0/authorize**")
    popup.locator(f'button[value="{tenant["admin"]}"]').click()  # the proof sign-in the stamp asks for
    popup.wait_for_selector("text=Connected")
    shot(popup, "consent proved")
    page.wait_for_selector('#one-click-status[data-state="active"]')  # the portal window polled its state
    shot(page, "portal shows connected")
    assert_accessible(page)
    assert tenant["id"] in page.inner_text("#connected")
    assert admin.get(f"/api/organizations/{org}/connections/{connection}").json()["status"] == "active"
    assert events_of(admin, org, "connection.created")[0]["detail"]["actor"] == "portal"


def test_a_cancel_shows_the_refusal_with_its_fix_and_start_again_gives_a_new_link(stack, admin, new_org, page, shot):
    org = new_org()
    customer_tenant(stack)
    first = _to_state_page(page, admin, org, shot)
    with page.expect_popup() as popup_info:
        page.get_by_role("link", name="Open the admin consent page").click()
    popup = popup_info.value
    popup.get_by_role("button", name="Cancel").click()
    popup.wait_for_selector("text=admin_consent_declined")
    shot(popup, "declined at entra")
    popup.close()
    page.wait_for_selector('#one-click-status[data-state="refused"]')
    shot(page, "portal shows the refusal and the fix")
    assert_accessible(page)
    assert page.inner_text("#consent-error") == "admin_consent_declined"
    assert "Accept" in page.inner_text("#consent-refused")
    page.get_by_role("button", name="Start again with a new consent link").click()
    page.wait_for_selector('#one-click-status[data-state="waiting"]')
    shot(page, "a new consent link")
    [connection] = admin.get(f"/api/organizations/{org}/connections").json()["items"]
    assert connection["id"] != first and connection["status"] == "pending"


def test_one_click_by_keyboard_alone(stack, admin, new_org, page, shot):
    org, tenant = new_org(), customer_tenant(stack)
    open_sso_by_keyboard(page, new_link(admin, org, "sso")["link"])
    tab_to(page, "#one-click")
    page.keyboard.press("Enter")
    page.wait_for_selector('#one-click-status[data-state="waiting"]')
    tab_to(page, "#open-consent")
    with page.expect_popup() as popup_info:
        page.keyboard.press("Enter")
    popup = popup_info.value
    for step in ("**/adminconsent**", "**/oauth2/v2.0/authorize**"):  # accept, then the proof sign-in
        popup.wait_for_url(step)
        tab_to(popup, f'button[value="{tenant["admin"]}"]', limit=1000)  # the picker lists every tenant's accounts
        popup.keyboard.press("Enter")
    popup.wait_for_selector("text=Connected")
    page.wait_for_selector('#one-click-status[data-state="active"]')
    shot(page, "connected by keyboard")
    assert admin.get(f"/api/organizations/{org}/connections").json()["items"][0]["status"] == "active"


def test_absent_when_the_stamp_has_no_shared_app(stack, admin, new_org, page, shot):
    org = new_org()
    page.goto(new_link(admin, org, "sso")["link"])
    page.get_by_role("button", name="Start the setup").click()
    page.wait_for_url("**/portal/sso")
    with no_shared_app():
        page.reload()
        shot(page, "no shared app: manual setup only")
        assert page.get_by_role("button", name="Connect with one click (admin consent)").count() == 0
        assert page.get_by_role("link", name="Set up OpenID Connect (recommended)").count() == 1
