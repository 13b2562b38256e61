"""An Entra admin connects OIDC with a certificate as the first credential, in headless Chromium:
"Use a certificate instead", download the .cer, Activate before uploading it (refused with
Entra's reason and the fix, nothing saved), upload it in Entra, Activate again, test sign-in.
Then the same by keyboard alone; axe-core on every new page."""
from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from tests.flows.helpers import CONTOSO, register_oidc_app
from tests.portal.accessibility import assert_accessible, tab_to
from tests.portal.browser import open_sso_by_keyboard, sign_in_in_popup
from tests.portal.helpers import RETURN_URL, new_link

pytestmark = pytest.mark.browser


def _upload_in_entra(stack, app: dict, cer: Path) -> str:
    """What the admin does in Entra: Upload certificate with the downloaded file. Answers its thumbprint."""
    data = cer.read_bytes()
    stack.simulator.update_app(app["client_id"], {"certificates": [base64.b64encode(data).decode()]})
    return x509.load_der_x509_certificate(data).fingerprint(hashes.SHA1()).hex().upper()


def test_an_admin_connects_oidc_with_a_certificate_through_the_portal(stack, admin, new_org, page, shot, tmp_path):
    org, app = new_org(), register_oidc_app(stack, secrets=[])
    page.goto(new_link(admin, org, "sso", return_url=RETURN_URL)["link"])
    page.get_by_role("button", name="Start the setup").click()
    page.get_by_role("link", name="Set up OpenID Connect (recommended)").click()
    page.get_by_label("Directory (tenant) ID").fill(CONTOSO)
    page.get_by_label("Application (client) ID").fill(app["client_id"])
    shot(page, "ids filled, certificate chosen")
    page.get_by_role("button", name="Use a certificate instead").click()
    page.wait_for_selector("#activate-certificate")
    shot(page, "certificate to download and upload")
    assert_accessible(page)
    [connection] = admin.get(f"/api/organizations/{org}/connections").json()["items"]
    assert connection["status"] == "pending"

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the certificate (.cer)").click()
    assert download.value.suggested_filename == f"{connection['id']}.cer"
    cer = tmp_path / download.value.suggested_filename
    download.value.save_as(cer)

    page.get_by_role("button", name="Activate").click()  # not uploaded yet
    page.wait_for_selector("#checks-failed")
    shot(page, "activate before the upload: refused with entra's reason")
    assert_accessible(page)
    refusal = page.inner_text('[data-check="certificate"]')
    assert "AADSTS700027" in refusal and "Upload certificate" in refusal
    assert admin.get(f"/api/organizations/{org}/connections/{connection['id']}").json()["certificate"] is None

    thumbprint = _upload_in_entra(stack, app, cer)
    assert thumbprint == page.inner_text("#thumbprint")
    page.get_by_role("button", name="Activate").click()
    page.wait_for_selector("#saved")
    shot(page, "activated, every check passed")
    assert_accessible(page)
    assert admin.get(f"/api/organizations/{org}/connections/{connection['id']}").json()["status"] == "active"

    page.get_by_role("link", name="Go to your connections and test the sign-in").click()
    sign_in_in_popup(page, shot, "test sign-in with the certificate", connection["id"])


def test_the_certificate_setup_by_keyboard_alone(stack, admin, new_org, page, shot, tmp_path):
    org, app = new_org(), register_oidc_app(stack, secrets=[])
    open_sso_by_keyboard(page, new_link(admin, org, "sso")["link"])
    tab_to(page, "#setup-oidc")
    page.keyboard.press("Enter")
    page.wait_for_selector("#oidc-form")
    for selector, text in (("#entra_tenant_id", CONTOSO), ("#client_id", app["client_id"])):
        tab_to(page, selector)
        page.keyboard.type(text)
    tab_to(page, "#use-certificate")
    page.keyboard.press("Enter")
    page.wait_for_selector("#activate-certificate")
    tab_to(page, "#download-cer")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    cer = tmp_path / "keyboard.cer"
    download.value.save_as(cer)
    _upload_in_entra(stack, app, cer)
    tab_to(page, "#activate-certificate")
    shot(page, "activate by keyboard")
    page.keyboard.press("Enter")
    page.wait_for_selector("#saved")
    shot(page, "activated by keyboard")
    [connection] = admin.get(f"/api/organizations/{org}/connections").json()["items"]
    assert connection["status"] == "active" and connection["credential_type"] == "certificate"


def test_a_pending_certificate_connection_is_continued_from_the_connections_page(stack, admin, new_org, page, shot):
    """An admin who left before activating finds the connection pending, with the way back."""
    org, app = new_org(), register_oidc_app(stack, secrets=[])
    created = admin.post(f"/api/organizations/{org}/connections", json={
        "protocol": "oidc", "entra_tenant_id": CONTOSO, "client_id": app["client_id"], "credential_type": "certificate"}).json()
    page.goto(new_link(admin, org, "sso")["link"])
    page.get_by_role("button", name="Start the setup").click()
    page.wait_for_url("**/portal/sso")
    assert "pending" in page.inner_text(f'[data-connection="{created["id"]}"]')
    assert_accessible(page)
    page.locator(f'[data-connection="{created["id"]}"] a.finish-certificate').click()
    page.wait_for_selector("#no-certificate")  # made by the API: no certificate yet
    assert_accessible(page)
    page.get_by_role("button", name="Make the certificate").click()
    page.wait_for_selector("#activate-certificate")
    shot(page, "certificate made for a pending connection")
    page.goto(stack.base_url + "/portal/credentials")
    assert "nothing yet" in page.inner_text(f'#current-{created["id"]}')
    assert_accessible(page)
