"""A SAML connection created before its IdP metadata exists: the admin copies sp_entity_id and
acs_url into Entra first. It is `pending`, serves its SP metadata, refuses every sign-in with
`connection_pending`, and works once the metadata arrives by PATCH."""
from __future__ import annotations

import pytest

from tests.conftest import ApiClient
from tests.flows.helpers import ADELE, APP_REDIRECT, CONTOSO, query, saml_response_form, start


@pytest.fixture
def pending(stack, admin, new_org):
    org = new_org()
    created = admin.post(f"/api/organizations/{org}/connections", json={"protocol": "saml", "display_name": "Contoso (SAML)"})
    assert created.status_code == 201, created.text
    return org, created.json()


def test_created_without_idp_it_is_pending_with_what_to_paste(stack, admin, pending):
    org, connection = pending
    assert connection["status"] == "pending"
    assert [r["reason"] for r in connection["status_reasons"]] == ["idp_metadata_missing"]
    assert "idp_metadata_url" in connection["status_reasons"][0]["message"]
    assert connection["sp_entity_id"] == f"{stack.base_url}/auth/sso/saml/{connection['id']}"
    assert connection["acs_url"] == f"{stack.base_url}/auth/sso/saml/{connection['id']}/acs"
    assert connection["idp_entity_id"] is None and connection["idp_certificates"] == []
    listed = admin.get(f"/api/organizations/{org}/connections").json()["items"]
    assert [c["status"] for c in listed] == ["pending"]


def test_its_sp_metadata_route_works(stack, anonymous, pending):
    _, connection = pending
    assert connection["sp_metadata_url"] == f"{stack.base_url}/auth/sso/saml/{connection['id']}/metadata"
    response = anonymous.get(f"/auth/sso/saml/{connection['id']}/metadata")
    assert response.status_code == 200, response.text
    assert connection["acs_url"].encode() in response.content and connection["sp_entity_id"].encode() in response.content


def test_it_refuses_sign_ins_until_metadata_arrives(stack, admin, pending, browser):
    org, connection = pending
    for target in ({"connection": connection["id"]}, {"organization": org}):
        refused = start(browser, stack, **target)
        assert refused.status_code == 400 and "connection_pending" in refused.text, refused.text[:300]
        assert "Location" not in refused.headers
    acs = browser.post(connection["acs_url"], data={"SAMLResponse": "PHNhbWxwOlJlc3BvbnNlLz4=", "RelayState": ""})
    assert acs.status_code == 400 and "connection_pending" in acs.text, acs.text[:300]


def test_patching_the_metadata_makes_it_active_and_sign_in_works(stack, admin, pending, browser):
    org, connection = pending
    stack.simulator.add_saml_app(CONTOSO, {"name": "entra-sso pending", "identifier": connection["sp_entity_id"], "reply_url": connection["acs_url"]})
    metadata_url = f"{stack.simulator.authority}/{CONTOSO}/federationmetadata/2007-06/federationmetadata.xml"
    patched = admin.patch(f"/api/organizations/{org}/connections/{connection['id']}", json={"idp_metadata_url": metadata_url})
    assert patched.status_code == 200 and patched.json()["status"] == "active", patched.text
    acs_url, fields = saml_response_form(browser, stack, ADELE, connection=connection["id"])
    answer = browser.post(acs_url, data=fields)
    assert answer.status_code == 302 and answer.headers["Location"].startswith(APP_REDIRECT + "?"), answer.text[:300]
    key = admin.post("/api/api-keys", json={"organization": org, "name": "backend"}).json()["key"]
    profile = ApiClient(stack.base_url, key).post("/api/sso/token", json={"code": query(answer.headers["Location"])["code"]}).json()["profile"]
    assert profile["email"] == ADELE and profile["connection"] == connection["id"]
