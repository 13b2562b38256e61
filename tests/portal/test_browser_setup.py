"""The rest of the portal in headless Chromium: SAML by metadata URL and by file, a test
sign-in, domain verification, SSO-only with a break-glass email, refused links and sessions,
a cross-site form post, axe-core on every page, and the OIDC setup by keyboard alone."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from local.azurite import free_port
from tests.flows.helpers import CONTOSO, create_oidc_connection, register_oidc_app
from tests.policy.conftest import dns_zone, unique_domain  # noqa: F401 (the fixture)
from tests.portal.accessibility import assert_accessible, tab_to
from tests.portal.browser import open_sso_by_keyboard, sign_in_in_popup
from tests.portal.helpers import RETURN_URL, new_link
from tests.portal.test_links import _age_link

pytestmark = pytest.mark.browser


def _open(page, link: str) -> None:
    page.goto(link)
    page.get_by_role("button", name="Start the setup").click()
    page.wait_for_selector("h1")


def _metadata_url(stack) -> str:
    return f"{stack.simulator.authority}/{CONTOSO}/federationmetadata/2007-06/federationmetadata.xml"


@pytest.mark.parametrize("source", ["metadata URL", "file"])
def test_an_admin_connects_saml_through_the_portal(stack, admin, new_org, page, shot, tmp_path, source):
    org = new_org()
    _open(page, new_link(admin, org, "sso", return_url=RETURN_URL)["link"])
    page.get_by_role("link", name="Set up SAML").first.click()
    assert_accessible(page)
    page.get_by_role("button", name="Start a new SAML connection").click()
    page.wait_for_selector("#sp-entity-id")
    shot(page, "sp details")
    assert_accessible(page)
    entity_id, acs = page.inner_text("#sp-entity-id"), page.inner_text("#acs-url")
    stack.simulator.add_saml_app(CONTOSO, {"name": "portal test", "identifier": entity_id, "reply_url": acs})  # done in Entra
    if source == "file":
        xml = tmp_path / "federationmetadata.xml"
        xml.write_bytes(requests.get(_metadata_url(stack), verify=stack.simulator.ca_bundle, timeout=30).content)
        page.get_by_label("Use the Federation Metadata XML").check()
        page.get_by_label("XML file").set_input_files(str(xml))
    else:
        page.get_by_role("textbox", name="App Federation Metadata Url").fill(_metadata_url(stack))
    page.get_by_role("button", name="Read and save").click()
    page.wait_for_selector("#idp-facts")
    shot(page, f"idp read from the {source}")
    assert page.inner_text("#idp-issuer") == f"https://sts.windows.net/{CONTOSO}/"
    assert "expires" in page.inner_text("#idp-certificates")
    sign_in_in_popup(page, shot, "saml test sign-in").close()


def test_domain_verification_in_the_browser(stack, admin, new_org, page, shot, dns_zone):  # noqa: F811
    org, domain = new_org(), unique_domain()
    _open(page, new_link(admin, org, "domain_verification")["link"])
    page.get_by_role("textbox", name="Domain").fill(domain)
    page.get_by_role("button", name="Add").click()
    page.wait_for_selector(f'[data-domain="{domain}"]')
    shot(page, "txt record to publish")
    assert_accessible(page)
    page.get_by_role("button", name=f"Verify {domain}").click()
    page.wait_for_selector("#form-problem")
    shot(page, "dns answered nothing")
    assert "found no TXT record" in page.inner_text("#form-problem")
    dns_zone.publish(page.inner_text("#txt-name-1"), page.inner_text("#txt-value-1"))
    page.get_by_role("button", name=f"Verify {domain}").click()
    page.wait_for_selector("#notice")
    shot(page, "verified")
    assert f"{domain} is verified" in page.inner_text("#notice")


def test_switching_on_sso_only_needs_a_break_glass_email(stack, admin, new_org, page, shot):
    org = new_org()
    create_oidc_connection(admin, org, register_oidc_app(stack))
    _open(page, new_link(admin, org, "sso")["link"])
    sign_in_in_popup(page, shot, "oidc test sign-in").close()
    page.get_by_role("link", name="Sign-in methods").first.click()
    assert_accessible(page)
    page.get_by_label("Password").uncheck()
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("#form-problem")
    shot(page, "lock-out refused")
    assert "break_glass_emails" in page.inner_text("#form-problem")
    assert admin.get(f"/api/organizations/{org}").json()["allowed_sign_in_methods"] == ["password", "sso"]
    page.get_by_label("Password").uncheck()
    page.get_by_label("Break-glass emails (one per line)").fill("it-admin@example.com")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("#notice")
    shot(page, "sso only saved")
    stored = admin.get(f"/api/organizations/{org}").json()
    assert stored["allowed_sign_in_methods"] == ["sso"] and stored["break_glass_emails"] == ["it-admin@example.com"]


def test_used_expired_and_tampered_are_refused_in_the_browser(stack, admin, new_org, page, shot, chromium):
    org = new_org()
    link = new_link(admin, org)["link"]
    _open(page, link)
    page.goto(link)
    shot(page, "used link")
    assert page.inner_text("#error-code") == "portal_link_used"
    assert_accessible(page)
    expired = new_link(admin, org)["link"]
    _age_link(stack, expired, 1)
    page.goto(expired)
    assert page.inner_text("#error-code") == "portal_link_expired"
    cookie = next(c for c in page.context.cookies() if c["name"] == "portal_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/portal"
    page.context.add_cookies([{**cookie, "value": cookie["value"][:-2] + "xx"}])
    page.goto(f"{stack.base_url}/portal/sso")
    shot(page, "tampered cookie")
    assert page.inner_text("#error-code") == "portal_session_invalid"
    assert page.locator("nav").count() == 0


class _Evil(BaseHTTPRequestHandler):
    target = ""

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = (f'<!doctype html><html lang="en"><title>evil</title><form method="post" action="{self.target}">'
                '<input name="csrf_token" value="guess"><input name="entra_tenant_id" value="x">'
                '<button id="go">Win a prize</button></form></html>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_cross_site_form_post_is_refused(stack, admin, new_org, page, shot):
    org = new_org()
    _open(page, new_link(admin, org)["link"])
    port = free_port()
    _Evil.target = f"{stack.base_url}/portal/sso/oidc"
    server = ThreadingHTTPServer(("127.0.0.1", port), _Evil)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://localhost:{port}/")
        page.click("#go")
        page.wait_for_selector("#error-code")
        shot(page, "cross-site post refused")
        assert page.inner_text("#error-code") in ("portal_form_refused", "portal_session_invalid")
    finally:
        server.shutdown()
    assert admin.get(f"/api/organizations/{org}/connections").json()["items"] == []


def test_every_portal_page_passes_axe(stack, admin, new_org, page, shot):
    org = new_org()
    connection = create_oidc_connection(admin, org, register_oidc_app(stack))
    saml = admin.post(f"/api/organizations/{org}/connections", json={"protocol": "saml", "idp_metadata_url": _metadata_url(stack)}).json()
    link = new_link(admin, org, "sso", return_url=RETURN_URL)["link"]
    page.goto(link)
    assert_accessible(page)
    page.get_by_role("button", name="Start the setup").click()
    for path in ("/portal/sso", "/portal/sso/oidc", "/portal/sso/saml", f"/portal/sso/saml/{saml['id']}", "/portal/sign-in-methods",
                 "/portal/credentials"):
        page.goto(stack.base_url + path)
        shot(page, path)
        assert_accessible(page)
    page.get_by_role("button", name="Create a certificate instead of a secret").click()
    page.wait_for_selector("#new-certificate")
    assert_accessible(page)
    page.goto(stack.base_url + "/portal/domains")  # another intent's page: the refusal page
    assert page.inner_text("#error-code") == "portal_wrong_intent"
    assert_accessible(page)
    for intent, path in (("domain_verification", "/portal/domains"), ("directory_sync", "/portal/directory-sync")):
        page.goto(new_link(admin, org, intent)["link"])
        page.get_by_role("button", name="Start the setup").click()
        page.wait_for_url(f"**{path}")
        shot(page, path)
        assert_accessible(page)
    assert connection["id"]


def test_the_oidc_setup_by_keyboard_alone(stack, admin, new_org, page, shot):
    org, app = new_org(), register_oidc_app(stack)
    open_sso_by_keyboard(page, new_link(admin, org, "sso")["link"])
    tab_to(page, "#setup-oidc")
    page.keyboard.press("Enter")
    page.wait_for_selector("#oidc-form")
    for selector, text in (("#entra_tenant_id", CONTOSO), ("#client_id", app["client_id"]), ("#client_secret", app["secret"])):
        tab_to(page, selector)
        page.keyboard.type(text)
    tab_to(page, "#client_secret_expires_on")
    page.keyboard.type("01012099")
    assert page.input_value("#client_secret_expires_on") == "2099-01-01"
    tab_to(page, "#save-oidc")
    shot(page, "filled by keyboard")
    page.keyboard.press("Enter")
    page.wait_for_selector("#saved")
    shot(page, "saved by keyboard")
    assert len(admin.get(f"/api/organizations/{org}/connections").json()["items"]) == 1
