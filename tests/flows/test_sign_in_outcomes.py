"""How sign-ins end, for both protocols, through the dev host and the simulator: a connection
disabled while the user is at Entra, correlation ids that tie an error to its event, and the
connection's `error` status after a failed sign-in or test, until one passes."""
from __future__ import annotations

import pytest

from tests.conftest import ApiClient
from tests.flows.helpers import (
    ADELE,
    APP_REDIRECT,
    create_saml_connection,
    entra_sign_in,
    oidc_sign_in,
    query,
    saml_response_form,
    start,
)


@pytest.fixture
def saml_org(stack, admin, new_org):
    org = new_org()
    connection = create_saml_connection(stack, admin, org)
    return {"org": org, "connection": connection, "url": f"/api/organizations/{org}/connections/{connection['id']}"}


def sign_in_events(admin, org: str) -> list[dict]:
    return [e for e in admin.get(f"/api/organizations/{org}/events").json()["items"] if e["type"] in ("sign_in", "test_sign_in")]


# -- a connection disabled during the sign-in (both endings make the same checks) ----------------

def test_oidc_connection_disabled_during_the_sign_in_completes_nothing(stack, admin, oidc, browser):
    started = start(browser, stack, connection=oidc["connection"]["id"], state="s-disabled")
    callback_url = entra_sign_in(browser, started.headers["Location"], ADELE).headers["Location"]
    assert admin.patch(oidc["url"], json={"enabled": False}).status_code == 200
    callback = browser.get(callback_url)
    assert callback.status_code == 302 and callback.headers["Location"].startswith(APP_REDIRECT + "?")
    answer = query(callback.headers["Location"])
    assert (answer["error"], answer["state"]) == ("connection_disabled", "s-disabled") and "code" not in answer
    assert sign_in_events(admin, oidc["org"])[0]["error"] == "connection_disabled"


def test_saml_connection_disabled_during_the_sign_in_completes_nothing(stack, admin, saml_org, browser):
    acs_url, fields = saml_response_form(browser, stack, connection=saml_org["connection"]["id"], state="s-disabled")
    assert admin.patch(saml_org["url"], json={"enabled": False}).status_code == 200
    acs = browser.post(acs_url, data=fields)
    assert acs.status_code == 302 and acs.headers["Location"].startswith(APP_REDIRECT + "?")
    answer = query(acs.headers["Location"])
    assert (answer["error"], answer["state"]) == ("connection_disabled", "s-disabled") and "code" not in answer


@pytest.mark.parametrize("protocol", ["oidc", "saml"])
def test_org_that_stops_allowing_sso_during_the_sign_in_completes_nothing(stack, admin, oidc, saml_org, browser, protocol):
    if protocol == "oidc":
        started = start(browser, stack, connection=oidc["connection"]["id"])
        finish = lambda url=entra_sign_in(browser, started.headers["Location"], ADELE).headers["Location"]: browser.get(url)  # noqa: E731
        org = oidc["org"]
    else:
        acs_url, fields = saml_response_form(browser, stack, connection=saml_org["connection"]["id"])
        finish = lambda: browser.post(acs_url, data=fields)  # noqa: E731
        org = saml_org["org"]
    assert admin.patch(f"/api/organizations/{org}", json={"allowed_sign_in_methods": ["password"]}).status_code == 200
    assert query(finish().headers["Location"])["error"] == "sso_not_allowed"


def test_a_test_sign_in_of_a_disabled_connection_still_shows_its_diagnostics(stack, admin, oidc, browser):
    """A test issues no code: an admin may try a connection before enabling it."""
    assert admin.patch(oidc["url"], json={"enabled": False}).status_code == 200
    test_url = admin.post(oidc["url"] + "/test").json()["test_url"]
    page = browser.get(entra_sign_in(browser, test_url, ADELE).headers["Location"])
    assert page.status_code == 200 and "Sign-in works" in page.text


# -- correlation ids --------------------------------------------------------------------------

def test_json_errors_carry_the_correlation_id_in_the_body(stack, anonymous, admin):
    for response in (anonymous.get("/api/organizations/any"), admin.get("/api/organizations/no-such-org-x"),
                     anonymous.get("/auth/sso/start", params={"organization": "nope"}, headers={"Accept": "application/json"})):
        body = response.json()
        assert response.status_code >= 400 and body["error"]
        assert body["correlation_id"] == response.headers["X-Correlation-Id"] and len(body["correlation_id"]) == 16


def test_sign_in_events_carry_the_correlation_id_the_browser_got(stack, admin, oidc, browser):
    stack.simulator.set_error("AADSTS65001", client_id=oidc["app"]["client_id"], times=1)
    failed = oidc_sign_in(browser, stack, organization=oidc["org"])
    succeeded = oidc_sign_in(browser, stack, organization=oidc["org"])
    ok_event, failed_event = sign_in_events(admin, oidc["org"])[:2]
    assert failed_event["error"] == "consent_required"
    assert failed_event["detail"]["correlation_id"] == failed.headers["X-Correlation-Id"]
    assert ok_event["outcome"] == "ok" and ok_event["detail"]["correlation_id"] == succeeded.headers["X-Correlation-Id"]


# -- the connection's `error` status -------------------------------------------------------------

def status(admin, url: str) -> tuple[str, list[dict]]:
    view = admin.get(url).json()
    return view["status"], view["status_reasons"]


def test_failed_sign_in_sets_error_status_with_the_reason_until_one_passes(stack, admin, oidc, browser):
    assert status(admin, oidc["url"])[0] == "active"
    stack.simulator.set_error("AADSTS7000215", client_id=oidc["app"]["client_id"], times=2)
    try:
        oidc_sign_in(browser, stack, organization=oidc["org"])
        oidc_sign_in(browser, stack, organization=oidc["org"])  # the same reason again: no new write needed
    finally:
        stack.simulator.clear_errors()
    state, reasons = status(admin, oidc["url"])
    assert state == "error"
    reason = next(r for r in reasons if r["reason"] == "error")
    assert reason["error"] == "invalid_client_secret" and "Secret ID" in reason["message"]
    assert admin.get(f"/api/organizations/{oidc['org']}/connections").json()["items"][0]["status"] == "error"

    assert "code" in query(oidc_sign_in(browser, stack, organization=oidc["org"]).headers["Location"])
    assert status(admin, oidc["url"]) == ("active", [])


def test_failed_test_sign_in_sets_error_status_and_a_passing_test_clears_it(stack, admin, saml_org, browser):
    from tests.flows.helpers import entra_sign_in, form_action, form_fields

    def test_sign_in():
        test_url = admin.post(saml_org["url"] + "/test").json()["test_url"]
        page = entra_sign_in(browser, test_url, ADELE)
        return browser.post(form_action(page.text), data=form_fields(page.text))

    app_id = saml_org["connection"]["sim_app"]["app_id"]
    stack.simulator.update_saml_app(app_id, {"algorithm": "sha1"})
    failed = test_sign_in()
    assert failed.status_code == 400 and "saml_deprecated_algorithm" in failed.text
    state, reasons = status(admin, saml_org["url"])
    assert state == "error" and [r["error"] for r in reasons if r["reason"] == "error"] == ["saml_deprecated_algorithm"]

    stack.simulator.update_saml_app(app_id, {"algorithm": "sha256"})
    assert test_sign_in().status_code == 200
    assert status(admin, saml_org["url"]) == ("active", [])


def test_what_is_not_the_connections_fault_leaves_its_status_alone(stack, admin, oidc, browser):
    # the user cancels at Entra; a forged Entra error in a callback URL; a replayed callback
    started = start(browser, stack, organization=oidc["org"])
    state = query(started.headers["Location"])["state"]
    forged = browser.get(f"{stack.base_url}/auth/sso/microsoft/callback", params={
        "state": state, "error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
    assert query(forged.headers["Location"])["error"] == "invalid_client_secret"
    stack.simulator.fail_token_endpoint(503, times=1)
    assert query(oidc_sign_in(browser, stack, organization=oidc["org"]).headers["Location"])["error"] == "temporarily_unavailable"
    assert status(admin, oidc["url"]) == ("active", [])


def test_an_org_key_sees_the_status_too(stack, admin, oidc, browser):
    key = admin.post("/api/api-keys", json={"organization": oidc["org"], "name": "ops"}).json()["key"]
    stack.simulator.set_error("AADSTS7000222", client_id=oidc["app"]["client_id"], times=1)
    oidc_sign_in(browser, stack, organization=oidc["org"])
    view = ApiClient(stack.base_url, key).get(oidc["url"]).json()
    assert view["status"] == "error" and any(r.get("error") == "client_secret_expired" for r in view["status_reasons"])


# -- the diagnostic pages of test sign-ins -----------------------------------------------------

def saml_test_sign_in(admin, browser, url: str):
    from tests.flows.helpers import form_action, form_fields

    test_url = admin.post(url + "/test").json()["test_url"]
    page = entra_sign_in(browser, test_url, ADELE)
    return browser.post(form_action(page.text), data=form_fields(page.text))


def check_rows(page: str) -> dict[str, str]:
    """check name -> passed / failed / not checked, from the page's checks table."""
    import re
    from html import unescape

    rows = re.findall(r"<tr><td>([^<]*)</td><td>(?:<span[^>]*>)?([a-z ]+)(?:</span>)?</td><td>", page)
    return {unescape(name): result for name, result in rows}


SAML_CHECKS = ("signature", "issuer", "audience", "destination", "recipient", "conditions", "InResponseTo", "NameID", "email source")


def test_saml_diagnostic_page_lists_each_check_it_made(stack, admin, saml_org, browser):
    page = saml_test_sign_in(admin, browser, saml_org["url"])
    assert page.status_code == 200 and "Sign-in works" in page.text
    rows = check_rows(page.text)
    assert all(rows.get(name) == "passed" for name in SAML_CHECKS), rows
    assert saml_org["connection"]["sp_entity_id"] in page.text and saml_org["connection"]["acs_url"] in page.text
    assert "email_verified" in page.text and "verified domains" in page.text  # why it is false here: no verified domain
    assert f"<code>{page.headers['X-Correlation-Id']}</code>" in page.text
    assert "[&quot;" in page.text and "[&#x27;" not in page.text  # lists as JSON, not Python reprs
    event = sign_in_events(admin, saml_org["org"])[0]
    assert (event["type"], event["detail"]["correlation_id"]) == ("test_sign_in", page.headers["X-Correlation-Id"])


def test_failed_saml_test_sign_in_shows_the_check_that_failed(stack, admin, saml_org, browser):
    app_id = saml_org["connection"]["sim_app"]["app_id"]
    stack.simulator.update_saml_app(app_id, {"sign": "response"})  # the assertion itself unsigned
    try:
        page = saml_test_sign_in(admin, browser, saml_org["url"])
    finally:
        stack.simulator.update_saml_app(app_id, {"sign": "assertion"})
    assert page.status_code == 400 and "saml_assertion_unsigned" in page.text
    rows = check_rows(page.text)
    assert rows["signature"] == "failed" and list(rows.values()).count("failed") == 1, rows
    assert f"<code>{page.headers['X-Correlation-Id']}</code>" in page.text


def test_oidc_diagnostic_page_shows_json_values_and_why_email_is_verified(stack, admin, oidc, browser):
    test_url = admin.post(oidc["url"] + "/test").json()["test_url"]
    page = browser.get(entra_sign_in(browser, test_url, ADELE).headers["Location"])
    assert page.status_code == 200 and "Sign-in works" in page.text
    rows = check_rows(page.text)
    assert rows["signature"] == "passed" and rows["email source"] == "passed", rows
    assert "<code>false</code>" in page.text and "<code>False</code>" not in page.text  # email_verified as JSON
    assert "[&quot;" in page.text and "[&#x27;" not in page.text
    assert "is not one of the organization&#x27;s verified domains" in page.text
    assert f"<code>{page.headers['X-Correlation-Id']}</code>" in page.text


# -- storage lost after the login was read ---------------------------------------------------------

def test_storage_down_after_the_login_is_read_sends_the_app_temporarily_unavailable(stack, admin, oidc, browser, monkeypatch):
    """The callback read the login (so the redirect URI is known), then storage went away while
    Entra redeemed the code: the app hears temporarily_unavailable, not a 503 page."""
    import concurrent.futures

    from local.azurite import free_port
    from shared.platform.settings import get_settings
    from shared.storage import tables

    started = start(browser, stack, organization=oidc["org"], state="s-storage")
    callback_url = entra_sign_in(browser, started.headers["Location"], ADELE).headers["Location"]
    hold = stack.simulator.hold_token_endpoint()
    endpoint = stack.storage_connection_string.split("TableEndpoint=")[1].split("/devstoreaccount1")[0]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(browser.get, callback_url)
        try:
            assert hold.reached.wait(60), "the callback never reached Entra's token endpoint"
            monkeypatch.setenv("SSO_STORAGE_CONNECTION_STRING", stack.storage_connection_string.replace(endpoint, f"http://127.0.0.1:{free_port()}"))
            get_settings.cache_clear()
            tables.reset_clients()
        finally:
            hold.release()
        callback = pending.result()
    monkeypatch.undo()
    get_settings.cache_clear()
    tables.reset_clients()
    assert callback.status_code == 302 and callback.headers["Location"].startswith(APP_REDIRECT + "?"), callback.text[:300]
    answer = query(callback.headers["Location"])
    assert (answer["error"], answer["state"]) == ("temporarily_unavailable", "s-storage")
    assert "code" in query(oidc_sign_in(browser, stack, organization=oidc["org"]).headers["Location"])  # nothing broken after


def test_a_deleted_connection_leaves_no_health_row(stack, admin, oidc, browser):
    from shared.orgs import connection_health
    from shared.storage import tables

    stack.simulator.set_error("AADSTS7000215", client_id=oidc["app"]["client_id"], times=1)
    oidc_sign_in(browser, stack, organization=oidc["org"])
    row = connection_health.HEALTH_PREFIX + oidc["connection"]["id"]
    assert tables.get("activity", oidc["org"], row) is not None
    assert admin.delete(oidc["url"]).status_code == 204
    assert tables.get("activity", oidc["org"], row) is None


def test_a_saml_sign_ins_state_at_the_oidc_callback_is_invalid_state(stack, saml_org, browser):
    from urllib.parse import parse_qs, urlsplit

    started = start(browser, stack, connection=saml_org["connection"]["id"])
    relay_state = parse_qs(urlsplit(started.headers["Location"]).query)["RelayState"][0]
    callback = browser.get(f"{stack.base_url}/auth/sso/microsoft/callback", params={"state": relay_state, "code": "x"})
    assert callback.status_code == 400 and "invalid_state" in callback.text


def test_storage_down_when_the_acs_reads_the_login_is_a_503_page(stack, saml_org, browser, monkeypatch):
    """Nothing about the sign-in is known yet, so no redirect URI to trust: the 503 page, not a
    misleading 'unsolicited response' refusal."""
    from local.azurite import free_port
    from shared.platform.settings import get_settings
    from shared.storage import tables

    acs_url, fields = saml_response_form(browser, stack, connection=saml_org["connection"]["id"])
    endpoint = stack.storage_connection_string.split("TableEndpoint=")[1].split("/devstoreaccount1")[0]
    monkeypatch.setenv("SSO_STORAGE_CONNECTION_STRING", stack.storage_connection_string.replace(endpoint, f"http://127.0.0.1:{free_port()}"))
    get_settings.cache_clear()
    tables.reset_clients()
    try:
        down = browser.post(acs_url, data=fields)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        tables.reset_clients()
    assert down.status_code == 503 and "storage_unavailable" in down.text and "Location" not in down.headers
    assert browser.post(acs_url, data=fields).status_code == 302  # the same response, once storage is back
