"""The demo a new user clicks through, in headless Chromium (Debian's): the sample app's
"Sign in with Microsoft", the simulator's account picker, and the profile shown by the app."""
from __future__ import annotations

import pytest

from local.azurite import free_port
from local.demo import seed_demo
from local.sample_app import make_sample_app
from tests.chromium import CHROMIUM, MISSING, launched

pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason=MISSING)]


@pytest.fixture(scope="module")
def demo_app(stack):
    from shared.storage import tables

    tables.get("organizations", "demo", "organization") is None or pytest.skip("the demo org already exists in this storage")
    port = free_port()
    demo = seed_demo(base_url=stack.base_url, bootstrap_key=stack.bootstrap_key, sim_authority=stack.simulator.authority,
                     sim_ca_bundle=stack.simulator.ca_bundle, app_redirect_uri=f"http://127.0.0.1:{port}/callback")
    server = make_sample_app(port, stack.base_url, demo)
    yield f"http://127.0.0.1:{port}/"
    server.shutdown()


@pytest.fixture(scope="module")
def page():
    with launched("--ignore-certificate-errors") as browser:
        context = browser.new_context(ignore_https_errors=True)  # the simulator's CA is made at start-up
        yield context.new_page()


@pytest.mark.parametrize("protocol", ["oidc", "saml"])
def test_new_user_signs_in_through_the_demo(demo_app, page, protocol):
    page.goto(demo_app)
    page.click(f"#sign-in-{protocol}")
    page.get_by_role("button", name="Adele Vance").click()
    page.wait_for_selector("#profile")
    assert "Signed in as Adele Vance" in page.content()
    profile = page.inner_text("#profile")
    assert "adele.vance@contoso.com" in profile and f'"protocol": "{protocol}"' in profile
