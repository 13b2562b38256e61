"""The whole SAML sign-in over HTTP: start → Entra (simulator) → ACS → code → profile, and the
ACS refusing what it must. Attacks on the XML itself are in tests/saml/."""
from __future__ import annotations

import base64

import pytest

from tests.conftest import ApiClient
from tests.flows.helpers import ADELE, APP_REDIRECT, CONTOSO, Browser, create_saml_connection, query, saml_response_form


@pytest.fixture
def saml_org(stack, admin, new_org):
    org = new_org()
    connection = create_saml_connection(stack, admin, org)
    key = admin.post("/api/api-keys", json={"organization": org, "name": "backend"}).json()["key"]
    return {"org": org, "connection": connection, "backend": ApiClient(stack.base_url, key)}


def post_acs(browser: Browser, acs_url: str, fields: dict):
    return browser.post(acs_url, data=fields)


def test_connection_shows_what_to_paste_into_entra(stack, saml_org):
    connection = saml_org["connection"]
    assert connection["acs_url"] == f"{stack.base_url}/auth/sso/saml/{connection['id']}/acs"
    assert connection["sp_entity_id"] == f"{stack.base_url}/auth/sso/saml/{connection['id']}"
    assert connection["idp_entity_id"] == f"https://sts.windows.net/{CONTOSO}/"
    assert connection["idp_certificates"][0]["thumbprint"] and connection["status"] == "active"


def test_sp_metadata(stack, anonymous, saml_org):
    response = anonymous.get(f"/auth/sso/saml/{saml_org['connection']['id']}/metadata")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/samlmetadata+xml")
    assert saml_org["connection"]["acs_url"].encode() in response.content
    assert anonymous.get("/auth/sso/saml/conn_aaaaaaaaaaaaaaaaaaaa/metadata").status_code == 404


def test_sign_in_gives_the_app_a_code_for_the_verified_profile(stack, saml_org, browser):
    acs_url, fields = saml_response_form(browser, stack, ADELE, connection=saml_org["connection"]["id"], state="app-state")
    assert acs_url == saml_org["connection"]["acs_url"]
    answer = post_acs(browser, acs_url, fields)
    assert answer.status_code == 302, answer.text[:800]
    params = query(answer.headers["Location"])
    assert answer.headers["Location"].startswith(APP_REDIRECT) and params["state"] == "app-state"
    profile = saml_org["backend"].post("/api/sso/token", json={"code": params["code"]}).json()["profile"]
    assert profile["protocol"] == "saml" and profile["entra_tenant_id"] == CONTOSO
    assert profile["email"] == ADELE and profile["first_name"] == "Adele" and profile["groups"]
    assert profile["email_verified"] is False  # the org has verified no domain


def test_replayed_response_is_refused(stack, saml_org, browser):
    acs_url, fields = saml_response_form(browser, stack, connection=saml_org["connection"]["id"])
    assert post_acs(browser, acs_url, fields).status_code == 302
    replay = post_acs(browser, acs_url, fields)
    assert replay.status_code == 400 and "Location" not in replay.headers


def test_idp_initiated_is_refused_unless_enabled_and_then_single_use(stack, admin, saml_org, browser):
    connection = saml_org["connection"]
    sent = stack.simulator.saml_idp_initiated(CONTOSO, connection["sim_app"]["app_id"], ADELE)
    fields = {"SAMLResponse": sent["SAMLResponse"]}
    refused = post_acs(browser, connection["acs_url"], fields)
    assert refused.status_code == 400 and "saml_unsolicited_response" in refused.text

    admin.patch(f"/api/organizations/{saml_org['org']}/connections/{connection['id']}", json={"allow_idp_initiated": True})
    sent = stack.simulator.saml_idp_initiated(CONTOSO, connection["sim_app"]["app_id"], ADELE, "https://evil.example.com/")
    accepted = post_acs(browser, connection["acs_url"], {"SAMLResponse": sent["SAMLResponse"], "RelayState": sent["RelayState"]})
    assert accepted.status_code == 302 and accepted.headers["Location"].startswith(APP_REDIRECT + "?")
    replay = post_acs(browser, connection["acs_url"], {"SAMLResponse": sent["SAMLResponse"]})
    assert replay.status_code == 400 and "saml_assertion_replayed" in replay.text


def test_response_for_another_connection_is_refused(stack, admin, saml_org, browser):
    other = create_saml_connection(stack, admin, saml_org["org"], sp_entity_id="urn:example:other-sp")
    acs_url, fields = saml_response_form(browser, stack, connection=saml_org["connection"]["id"])
    crossed = post_acs(browser, other["acs_url"], fields)
    assert crossed.status_code in (302, 400)
    if crossed.status_code == 302:
        assert "error" in query(crossed.headers["Location"])
    assert post_acs(browser, acs_url, fields).status_code == 302  # the real one still works once


@pytest.mark.parametrize("body,content_type,status,code", [
    ({"SAMLResponse": "not base64 !!!"}, None, 400, "saml_malformed"),
    ({"SAMLResponse": base64.b64encode(b"<not-xml").decode()}, None, 400, "saml_malformed"),
    ({"SAMLResponse": base64.b64encode(b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>').decode()}, None, 400, "saml_dtd_forbidden"),
    ('{"SAMLResponse": "x"}', "application/json", 415, "unsupported_media_type"),
])
def test_bad_acs_input_is_a_clear_4xx_and_an_event(stack, admin, saml_org, browser, body, content_type, status, code):
    headers = {"Content-Type": content_type} if content_type else {}
    response = browser.post(saml_org["connection"]["acs_url"], data=body, headers=headers)
    assert response.status_code == status and code in response.text and "Traceback" not in response.text
    if status == 400:
        events = admin.get(f"/api/organizations/{saml_org['org']}/events").json()["items"]
        assert events[0]["type"] == "sign_in" and events[0]["error"] == code


def test_unknown_connection_acs_is_a_400(stack, browser):
    response = browser.post(f"{stack.base_url}/auth/sso/saml/conn_aaaaaaaaaaaaaaaaaaaa/acs", data={"SAMLResponse": "x"})
    assert response.status_code == 400 and "unknown_connection" in response.text


def test_signed_authn_requests_use_the_connections_own_key(stack, admin, new_org, browser):
    org = new_org()
    connection = create_saml_connection(stack, admin, org, sign_authn_requests=True)
    started = browser.get(f"{stack.base_url}/auth/sso/start", params={"connection": connection["id"], "redirect_uri": APP_REDIRECT})
    params = query(started.headers["Location"])
    assert params["SigAlg"].endswith("rsa-sha256") and params["Signature"]
    metadata = browser.get(f"{stack.base_url}/auth/sso/saml/{connection['id']}/metadata").text
    assert "X509Certificate" in metadata and 'AuthnRequestsSigned="true"' in metadata
    assert "sp_signing" not in connection


def test_daily_metadata_refresh_follows_an_entra_certificate_rollover(stack, admin, new_org, browser):
    import uuid

    from tests.conftest import BOOTSTRAP_KEY

    tenant = str(uuid.uuid4())  # a tenant of its own: the rollover must not touch other tests' tenants
    stack.simulator.add_tenant({"id": tenant, "name": "Rollover", "domains": ["rollover.example.com"],
                                "users": [{"upn": "ro@rollover.example.com", "name": "Ro Llover"}]})
    org = new_org()
    connection = create_saml_connection(stack, admin, org, tenant=tenant)
    assert len(connection["idp_certificates"]) == 1

    new_cert = stack.simulator.add_saml_certificate(tenant)  # Entra lists the next certificate first...
    refreshed = browser.post(f"{stack.base_url}/admin/functions/refresh_saml_metadata", json={"input": ""},
                             headers={"x-functions-key": BOOTSTRAP_KEY})
    assert refreshed.status_code == 202
    url = f"/api/organizations/{org}/connections/{connection['id']}"
    assert len(admin.get(url).json()["idp_certificates"]) == 2
    assert admin.get(f"/api/organizations/{org}/events").json()["items"][0]["type"] == "saml_metadata.updated"

    stack.simulator.activate_saml_certificate(tenant, new_cert["x5t"])  # ...then signs with it
    acs_url, fields = saml_response_form(browser, stack, "ro@rollover.example.com", connection=connection["id"])
    assert browser.post(acs_url, data=fields).status_code == 302


def test_timers_run_on_demand_only_with_the_functions_key(stack, browser):
    response = browser.post(f"{stack.base_url}/admin/functions/refresh_saml_metadata", json={"input": ""}, headers={"x-functions-key": "wrong"})
    assert response.status_code == 401
