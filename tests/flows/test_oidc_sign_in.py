"""The whole OIDC sign-in: start → Entra (simulator) → callback → code → profile."""
from __future__ import annotations

import concurrent.futures
from datetime import timedelta

import pytest

from tests.conftest import ApiClient
from tests.flows.helpers import (
    ADELE,
    APP_REDIRECT,
    BOB,
    CONTOSO,
    MEGAN,
    Browser,
    create_oidc_connection,
    entra_sign_in,
    oidc_sign_in,
    query,
    register_oidc_app,
    start,
)


def test_sign_in_gives_the_app_a_code_for_the_verified_profile(stack, oidc, browser):
    callback = oidc_sign_in(browser, stack, ADELE, organization=oidc["org"], state="opaque-app-state")
    assert callback.status_code == 302, callback.text[:800]
    assert callback.headers["Location"].startswith(APP_REDIRECT + "?")
    answer = query(callback.headers["Location"])
    assert answer["state"] == "opaque-app-state"

    exchanged = oidc["backend"].post("/api/sso/token", json={"code": answer["code"]})
    assert exchanged.status_code == 200, exchanged.text
    profile = exchanged.json()["profile"]
    assert profile["organization"] == oidc["org"] and profile["connection"] == oidc["connection"]["id"]
    assert profile["protocol"] == "oidc" and profile["entra_tenant_id"] == CONTOSO
    assert profile["email"] == ADELE and profile["name"] == "Adele Vance"
    assert profile["first_name"] == "Adele" and profile["last_name"] == "Vance"
    assert profile["groups"] and profile["groups_overage"] is False

    again = oidc_sign_in(browser, stack, ADELE, connection=oidc["connection"]["id"])
    second = oidc["backend"].post("/api/sso/token", json={"code": query(again.headers["Location"])["code"]}).json()["profile"]
    assert second["id"] == profile["id"], "the same user through the same connection keeps its id"


def test_start_sends_pkce_state_and_nonce(stack, oidc, browser):
    started = start(browser, stack, organization=oidc["org"])
    params = query(started.headers["Location"])
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) >= 43
    assert len(params["state"]) > 30 and len(params["nonce"]) > 20
    assert params["redirect_uri"] == f"{stack.base_url}/auth/sso/microsoft/callback"
    assert params["client_id"] == oidc["app"]["client_id"]


def test_redirect_uri_not_on_the_list_is_refused_before_any_redirect(stack, oidc, browser):
    for bad in ("https://evil.example.com/callback", APP_REDIRECT + "/extra", APP_REDIRECT + "?x=1", APP_REDIRECT.upper()):
        response = start(browser, stack, organization=oidc["org"], redirect_uri=bad)
        assert response.status_code == 400 and "Location" not in response.headers
        assert "invalid_redirect_uri" in response.text
    as_json = browser.get(f"{stack.base_url}/auth/sso/start", params={"organization": oidc["org"], "redirect_uri": "https://evil.example.com/"},
                          headers={"Accept": "application/json"})
    assert as_json.json()["error"] == "invalid_redirect_uri"


def test_replayed_state_is_refused(stack, oidc, browser):
    started = start(browser, stack, organization=oidc["org"])
    from_entra = entra_sign_in(browser, started.headers["Location"], ADELE)
    callback_url = from_entra.headers["Location"]
    assert browser.get(callback_url).status_code == 302
    replay = browser.get(callback_url)
    assert replay.status_code == 400 and "invalid_state" in replay.text


def test_concurrent_callbacks_with_one_state_give_exactly_one_success(stack, oidc, browser):
    started = start(browser, stack, organization=oidc["org"])
    callback_url = entra_sign_in(browser, started.headers["Location"], ADELE).headers["Location"]
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: Browser(stack.simulator.ca_bundle).get(callback_url), range(6)))
    codes = [r for r in results if r.status_code == 302 and "code" in query(r.headers["Location"])]
    assert len(codes) == 1


def test_code_is_single_use_and_bound_to_the_organization(stack, admin, oidc, browser, new_org):
    code = query(oidc_sign_in(browser, stack, organization=oidc["org"]).headers["Location"])["code"]
    other_org = new_org()
    other_key = admin.post("/api/api-keys", json={"organization": other_org, "name": "x"}).json()["key"]
    stolen = ApiClient(stack.base_url, other_key).post("/api/sso/token", json={"code": code})
    assert (stolen.status_code, stolen.json()["error"]) == (400, "invalid_grant")
    assert oidc["backend"].post("/api/sso/token", data={"code": code}).status_code == 200  # form body works too
    replay = oidc["backend"].post("/api/sso/token", json={"code": code})
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    for garbage in ("", "x", "a.b.c", "a" * 1000):
        assert oidc["backend"].post("/api/sso/token", json={"code": garbage}).json()["error"] == "invalid_grant"


def test_expired_code_is_refused(stack, oidc, browser, monkeypatch):
    from shared.signin import logins

    monkeypatch.setattr(logins, "CODE_LIFETIME", timedelta(seconds=-1))
    code = query(oidc_sign_in(browser, stack, organization=oidc["org"]).headers["Location"])["code"]
    assert oidc["backend"].post("/api/sso/token", json={"code": code}).json()["error"] == "invalid_grant"


def test_email_from_preferred_username_is_not_verified(stack, oidc, browser):
    code = query(oidc_sign_in(browser, stack, BOB, organization=oidc["org"]).headers["Location"])["code"]
    profile = oidc["backend"].post("/api/sso/token", json={"code": code}).json()["profile"]
    assert profile["email"] == BOB and profile["email_verified"] is False


def test_groups_overage_is_reported(stack, oidc, browser):
    code = query(oidc_sign_in(browser, stack, MEGAN, organization=oidc["org"]).headers["Location"])["code"]
    profile = oidc["backend"].post("/api/sso/token", json={"code": code}).json()["profile"]
    # The overage is resolved through Graph (issue 15): every group, with where they came from.
    megan = stack.simulator.directory.user_by_upn(stack.simulator.directory.tenant(CONTOSO), MEGAN)
    assert profile["groups_overage"] is True and profile["groups_source"] == "graph"
    assert profile["groups"] == megan.groups and len(megan.groups) > 200


@pytest.mark.parametrize("aadsts,code", [
    ("AADSTS50105", None),  # shown on Entra's own page: no callback at all
    ("AADSTS65001", "consent_required"),
    ("AADSTS7000215", "invalid_client_secret"),
    ("AADSTS7000222", "client_secret_expired"),
])
def test_entra_errors_reach_the_app_as_stable_codes(stack, oidc, browser, aadsts, code):
    stack.simulator.set_error(aadsts, client_id=oidc["app"]["client_id"], times=1)
    try:
        started = start(browser, stack, organization=oidc["org"])
        from_entra = entra_sign_in(browser, started.headers["Location"], ADELE)
        if code is None:
            assert from_entra.status_code != 302
            return
        callback = browser.get(from_entra.headers["Location"])
        answer = query(callback.headers["Location"])
        assert answer["error"] == code, answer
        assert answer["error_description"]
    finally:
        stack.simulator.clear_errors()


def test_failures_are_events_with_the_reason(stack, admin, oidc, browser):
    stack.simulator.set_error("AADSTS65001", client_id=oidc["app"]["client_id"], times=1)
    oidc_sign_in(browser, stack, organization=oidc["org"])
    oidc_sign_in(browser, stack, organization=oidc["org"])
    items = admin.get(f"/api/organizations/{oidc['org']}/events").json()["items"]
    sign_ins = [e for e in items if e["type"] == "sign_in"]
    assert [(e["outcome"], e["error"]) for e in sign_ins[:2]] == [("ok", None), ("failed", "consent_required")]


@pytest.mark.parametrize("status", [503, 500])
def test_token_endpoint_down_sends_the_app_temporarily_unavailable_and_loses_nothing(stack, oidc, browser, status):
    stack.simulator.fail_token_endpoint(status, times=1)
    callback = oidc_sign_in(browser, stack, organization=oidc["org"], state="keep-me")
    assert callback.status_code == 302, callback.text[:500]
    assert callback.headers["Location"].startswith(APP_REDIRECT + "?")
    answer = query(callback.headers["Location"])
    assert answer["error"] == "temporarily_unavailable" and answer["state"] == "keep-me"
    assert "Start the sign-in again" in answer["error_description"] and "storage" not in answer["error_description"].lower()
    # The app starts again at once: no MSAL throttling of the connection after Entra's 5xx.
    retried = oidc_sign_in(browser, stack, organization=oidc["org"])
    assert retried.status_code == 302 and "code" in query(retried.headers["Location"]), retried.headers.get("Location")


def test_entra_server_error_at_authorize_reaches_the_app_as_temporarily_unavailable(stack, admin, oidc, browser):
    stack.simulator.set_error("AADSTS90033", client_id=oidc["app"]["client_id"], times=1)
    try:
        started = start(browser, stack, organization=oidc["org"], state="s-90033")
        from_entra = entra_sign_in(browser, started.headers["Location"], ADELE)
        assert query(from_entra.headers["Location"])["error"] == "server_error"  # what Entra sends
        callback = browser.get(from_entra.headers["Location"])
    finally:
        stack.simulator.clear_errors()
    assert callback.status_code == 302 and callback.headers["Location"].startswith(APP_REDIRECT + "?")
    answer = query(callback.headers["Location"])
    assert (answer["error"], answer["state"]) == ("temporarily_unavailable", "s-90033") and answer["error_description"]
    event = next(e for e in admin.get(f"/api/organizations/{oidc['org']}/events").json()["items"] if e["type"] == "sign_in")
    assert (event["outcome"], event["error"], event["detail"]["cause"]) == ("failed", "temporarily_unavailable", "authority_unreachable")


def test_test_sign_in_with_entra_down_shows_503_on_the_diagnostic_page(stack, admin, oidc, browser):
    test_url = admin.post(f"/api/organizations/{oidc['org']}/connections/{oidc['connection']['id']}/test").json()["test_url"]
    from_entra = entra_sign_in(browser, test_url, ADELE)
    stack.simulator.fail_token_endpoint(503, times=1)
    page = browser.get(from_entra.headers["Location"])
    assert page.status_code == 503 and "temporarily_unavailable" in page.text and "Location" not in page.headers


def test_redirect_uri_mismatch_names_the_uri_to_register(stack, admin, new_org, browser):
    org = new_org()
    app = register_oidc_app(stack, redirect_uris=["https://somewhere-else.example.com/cb"])
    create_oidc_connection(admin, org, app)
    started = start(browser, stack, organization=org)
    page = browser.get(started.headers["Location"])
    assert "AADSTS50011" in page.text  # Entra shows it on its own page: the redirect URI is untrusted


def test_test_sign_in_ends_on_the_diagnostic_page_without_a_code(stack, admin, oidc, browser):
    test_url = admin.post(f"/api/organizations/{oidc['org']}/connections/{oidc['connection']['id']}/test").json()["test_url"]
    from_entra = entra_sign_in(browser, test_url, ADELE)
    page = browser.get(from_entra.headers["Location"])
    assert page.status_code == 200 and "Sign-in works" in page.text
    for check in ("signature", "issuer", "audience", "nonce"):
        assert check in page.text
    assert "Location" not in page.headers
    assert browser.get(from_entra.headers["Location"]).status_code == 400  # one-time


def test_unknown_and_disabled_targets_are_clear_errors(stack, admin, oidc, browser):
    assert start(browser, stack, organization="no-such-org").status_code == 404
    assert "unknown_connection" in start(browser, stack, connection="conn_aaaaaaaaaaaaaaaaaaaa").text
    assert "invalid_request" in start(browser, stack, organization=oidc["org"], connection=oidc["connection"]["id"]).text
    assert "invalid_request" in start(browser, stack, organization=oidc["org"], state="s" * 513).text
    admin.patch(f"/api/organizations/{oidc['org']}/connections/{oidc['connection']['id']}", json={"enabled": False})
    assert "connection_disabled" in start(browser, stack, connection=oidc["connection"]["id"]).text


def test_each_sign_in_logs_one_outcome_line_with_its_error_code(stack, oidc, browser, caplog):
    import json
    import logging

    caplog.set_level(logging.INFO, logger="entra_sso")
    oidc_sign_in(browser, stack, organization=oidc["org"])
    stack.simulator.set_error("AADSTS65001", client_id=oidc["app"]["client_id"], times=1)
    oidc_sign_in(browser, stack, organization=oidc["org"])
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "entra_sso" and '"sign_in"' in r.getMessage()]
    assert [(line["outcome"], line["error"], line["protocol"]) for line in lines] == [("ok", None, "oidc"), ("failed", "consent_required", "oidc")]
    assert all(line["correlation_id"] for line in lines)
