"""A portal test sign-in ends on the diagnostic page, whose flags say in plain words what to fix:
no email claim, groups overage; a clean sign-in has none."""
from __future__ import annotations

import pytest

from tests.flows.helpers import ADELE, BOB, MEGAN, Browser, create_oidc_connection, entra_sign_in, register_oidc_app
from tests.portal.helpers import portal_session


def _diagnostic(stack, admin, org: str, connection: str, username: str) -> str:
    client = portal_session(stack, admin, org)
    started = client.submit(f"/portal/connections/{connection}/test", {}, page_path="/portal/sso")
    assert started.status_code == 303, started.text
    browser = Browser(stack.simulator.ca_bundle)
    from_entra = entra_sign_in(browser, started.headers["Location"], username)
    assert from_entra.status_code == 302, from_entra.text[:300]
    return browser.get(from_entra.headers["Location"]).text


@pytest.mark.parametrize("username, flag", [(BOB, "No email claim"), (MEGAN, "Groups overage"), (ADELE, "None: nothing to fix")])
def test_the_diagnostic_page_flags_what_to_fix(stack, admin, new_org, username, flag):
    org = new_org()
    connection = create_oidc_connection(admin, org, register_oidc_app(stack))["id"]
    page = _diagnostic(stack, admin, org, connection, username)
    assert "Flags" in page and flag in page


@pytest.mark.parametrize("name_id_format, flagged", [("emailAddress", True), ("persistent", False)])
def test_a_saml_name_id_that_is_not_persistent_is_flagged(stack, admin, new_org, name_id_format, flagged):
    from tests.flows.helpers import CONTOSO, form_action, form_fields
    org = new_org()
    connection = admin.post(f"/api/organizations/{org}/connections", json={
        "protocol": "saml", "idp_metadata_url": f"{stack.simulator.authority}/{CONTOSO}/federationmetadata/2007-06/federationmetadata.xml"}).json()
    stack.simulator.add_saml_app(CONTOSO, {"name": "flags", "identifier": connection["sp_entity_id"], "reply_url": connection["acs_url"],
                                           "name_id_format": name_id_format})
    client = portal_session(stack, admin, org)
    started = client.submit(f"/portal/connections/{connection['id']}/test", {}, page_path="/portal/sso")
    browser = Browser(stack.simulator.ca_bundle)
    form = entra_sign_in(browser, started.headers["Location"], ADELE)
    assert form.status_code == 200 and "SAMLResponse" in form.text, form.text[:300]
    page = browser.post(form_action(form.text), data=form_fields(form.text)).text
    assert "Sign-in works" in page
    assert ("The NameID is not persistent" in page) is flagged
