"""Injected failures surface where Entra raises them, for the app/user/tenant they target."""

import pytest
import requests

from tests.simulator.flows import ADELE, BOB, CONTOSO, authorize_params, pkce_pair, redeem, redirect_params, sign_in


@pytest.fixture(autouse=True)
def clean_faults(sim):
    yield
    sim.clear_errors()


def signed_in_code(http, sim, app, user=ADELE):
    verifier, challenge = pkce_pair()
    code = redirect_params(sign_in(http, sim, CONTOSO, authorize_params(app, challenge),
                                   user))["code"]
    return code, verifier


def test_user_not_assigned_is_shown_on_entras_page(sim, http, new_app):
    app = new_app()
    sim.set_error("AADSTS50105", client_id=app["client_id"], user=BOB)
    _, challenge = pkce_pair()
    params = authorize_params(app, challenge)
    refused = sign_in(http, sim, CONTOSO, params, BOB)
    assert refused.status_code == 400 and "Location" not in refused.headers
    assert "AADSTS50105" in refused.text and BOB in refused.text
    assert "code" in redirect_params(sign_in(http, sim, CONTOSO, params, ADELE))


def test_assignment_required_lets_only_assigned_users_in(sim, http, new_app):
    adele_oid = next(u["oid"] for u in sim.tenant_view(CONTOSO)["users"] if u["upn"] == ADELE)
    app = new_app(assignment_required=True, assigned_users=[adele_oid])
    _, challenge = pkce_pair()
    params = authorize_params(app, challenge)
    assert "AADSTS50105" in sign_in(http, sim, CONTOSO, params, BOB).text
    assert "code" in redirect_params(sign_in(http, sim, CONTOSO, params, ADELE))


def test_consent_required_goes_back_to_the_redirect_uri(sim, http, new_app):
    app = new_app()
    sim.set_error("AADSTS65001", client_id=app["client_id"], endpoint="authorize", times=1)
    _, challenge = pkce_pair()
    params = authorize_params(app, challenge)
    error = redirect_params(sign_in(http, sim, CONTOSO, params, ADELE))
    assert error["error"] == "consent_required"
    assert error["error_description"].startswith("AADSTS65001: ")
    assert error["state"] == params["state"]
    assert "code" in redirect_params(sign_in(http, sim, CONTOSO, params, ADELE))  # used up


def test_consent_required_at_the_token_endpoint_is_invalid_grant(sim, http, new_app):
    app = new_app()
    sim.set_error("AADSTS65001", client_id=app["client_id"], endpoint="token")
    code, verifier = signed_in_code(http, sim, app)
    response = redeem(http, sim, CONTOSO, app, code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert response.json()["error_codes"] == [65001]


@pytest.mark.parametrize("code, status, error", [
    ("AADSTS7000215", 401, "invalid_client"), ("AADSTS7000222", 401, "invalid_client"),
    ("AADSTS700016", 400, "unauthorized_client")])
def test_injected_token_errors_despite_a_good_secret(sim, http, new_app, code, status, error):
    app = new_app()
    code_, verifier = signed_in_code(http, sim, app)
    sim.set_error(code, client_id=app["client_id"], endpoint="token", times=1)
    response = redeem(http, sim, CONTOSO, app, code_, verifier)
    assert response.status_code == status and response.json()["error"] == error
    assert f"AADSTS{response.json()['error_codes'][0]}" == code


def test_app_not_found_is_injectable_at_authorize(sim, http, new_app):
    app = new_app()
    sim.set_error("AADSTS700016", client_id=app["client_id"], endpoint="authorize")
    _, challenge = pkce_pair()
    page = http.get(f"{sim.authority}/{CONTOSO}/oauth2/v2.0/authorize",
                    params=authorize_params(app, challenge), allow_redirects=False)
    assert page.status_code == 400 and "AADSTS700016" in page.text


def test_tenant_not_found_once_at_discovery(sim, http):
    sim.set_error("AADSTS90002", tenant="contoso.com", endpoint="discovery", times=1)
    url = f"{sim.authority}/{CONTOSO}/v2.0/.well-known/openid-configuration"
    assert http.get(url).json()["error_codes"] == [90002]
    assert http.get(url).status_code == 200


@pytest.mark.parametrize("status, error", [(503, "temporarily_unavailable"),
                                           (500, "server_error")])
def test_token_endpoint_fails_once_then_recovers(sim, http, new_app, status, error):
    app = new_app()
    code, verifier = signed_in_code(http, sim, app)
    sim.fail_token_endpoint(status, times=1)
    failed = redeem(http, sim, CONTOSO, app, code, verifier)
    assert failed.status_code == status and failed.json()["error"] == error
    assert redeem(http, sim, CONTOSO, app, code, verifier).status_code == 200


def test_slow_token_endpoint(sim, http, new_app):
    app = new_app()
    sim.set_token_delay(5)
    with pytest.raises(requests.Timeout):
        http.post(f"{sim.authority}/{CONTOSO}/oauth2/v2.0/token", timeout=0.5,
                  data={"grant_type": "client_credentials", "client_id": app["client_id"]})


def test_unknown_error_codes_are_refused(sim):
    with pytest.raises(ValueError):
        sim.set_error("AADSTS12345")
    with pytest.raises(ValueError):
        sim.set_error("AADSTS7000215", endpoint="authorize")


def test_transient_error_at_authorize_redirects_server_error(sim, http, new_app):
    app = new_app()
    sim.set_error("AADSTS90033", client_id=app["client_id"], times=1)
    _, challenge = pkce_pair()
    params = authorize_params(app, challenge)
    error = redirect_params(sign_in(http, sim, CONTOSO, params, ADELE))
    assert error["error"] == "server_error" and error["error_description"].startswith("AADSTS90033: ")
    assert error["state"] == params["state"]
    assert "code" in redirect_params(sign_in(http, sim, CONTOSO, params, ADELE))  # used up


def test_a_held_token_request_waits_for_its_release(sim, http, new_app):
    import concurrent.futures

    app = new_app()
    code, verifier = signed_in_code(http, sim, app)
    hold = sim.hold_token_endpoint()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(redeem, http, sim, CONTOSO, app, code, verifier)
        assert hold.reached.wait(30)
        assert not pending.done()  # parked until released: no answer without the release
        hold.release()
        assert pending.result().status_code == 200
    code, verifier = signed_in_code(http, sim, app)
    assert redeem(http, sim, CONTOSO, app, code, verifier).status_code == 200  # a hold is for one request
