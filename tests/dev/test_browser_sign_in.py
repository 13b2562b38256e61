"""A newcomer's first sign-in under scripts/dev, in Debian's Chromium with a fresh profile that
trusts nothing extra and ignores no certificate error: over OIDC and over SAML, no warning."""
from __future__ import annotations

import json

import pytest

from tests.chromium import CHROMIUM, MISSING, launched

pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason=MISSING)]


@pytest.fixture(scope="module")
def chromium():
    with launched() as browser:  # no --ignore-certificate-errors and no CA added: what a fresh profile trusts
        yield browser


@pytest.fixture
def page(chromium):
    context = chromium.new_context()  # fresh profile; ignore_https_errors stays False
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("protocol", ["oidc", "saml"])
def test_fresh_browser_signs_in_with_no_certificate_warning(dev, page, protocol):
    info = dev.info
    visited = []
    page.on("framenavigated", lambda frame: visited.append(frame.url) if frame == page.main_frame else None)
    page.goto(info["app_url"])
    page.click(f"#sign-in-{protocol}")
    page.get_by_role("button", name="Adele Vance").click()  # the simulator's account picker
    page.wait_for_selector("#profile")
    profile = json.loads(page.inner_text("#profile"))
    assert profile["protocol"] == protocol and profile["email"] == "adele.vance@contoso.com"
    # contoso.com is verified in the demo org and Entra vouches for Adele's address.
    assert profile["email_verified"] is True
    # The account picker came from the simulator's browser origin, not its HTTPS authority.
    assert any(url.startswith(info["entra_browser_origin"] + "/") for url in visited), visited
    assert not any(url.startswith("https://") for url in visited), visited


def test_the_browser_does_not_trust_the_simulators_ca(dev, page):
    """The control: the same fresh browser refuses the simulator's HTTPS (its own CA), so the
    sign-ins above pass because no page needs it, not because certificates are ignored."""
    from playwright.sync_api import Error

    with pytest.raises(Error, match="ERR_CERT_AUTHORITY_INVALID"):
        page.goto(dev.info["entra_authority"] + "/organizations/v2.0/.well-known/openid-configuration")
