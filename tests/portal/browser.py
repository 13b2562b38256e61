"""Driving the setup portal in Chromium: into it with the keyboard alone, and a connection's test
sign-in in the popup it opens."""
from __future__ import annotations

from tests.portal.accessibility import tab_to


def open_sso_by_keyboard(page, link: str) -> None:
    """Opens an `sso` portal link and starts the setup with the keyboard alone."""
    page.goto(link)
    tab_to(page, "#open-portal")
    page.keyboard.press("Enter")
    page.wait_for_url("**/portal/sso")


def sign_in_in_popup(page, shot, name: str, connection_id: str | None = None):
    """Clicks the test sign-in of `connection_id` (else the first listed), signs in as Adele in
    the popup and answers the popup once it says the sign-in works (screenshot `name`)."""
    selector = f'[data-connection="{connection_id}"] button.test-sign-in' if connection_id else "button.test-sign-in"
    with page.expect_popup() as popup_info:
        page.locator(selector).first.click()
    popup = popup_info.value
    popup.get_by_role("button", name="Adele Vance").click()
    popup.wait_for_selector("text=Sign-in works")
    shot(popup, name)
    return popup
