"""The authorization code flow: MSAL accepts the simulator, and the simulator enforces what Entra
enforces (exact redirect URIs, PKCE, single-use codes)."""

from urllib.parse import parse_qsl, urlsplit

import jwt
import msal
import pytest

from tests.simulator.flows import (
    ADELE,
    BOB,
    CARLOS,
    CONTOSO,
    FABRIKAM,
    authorize_params,
    pkce_pair,
    posted_form,
    redeem,
    redirect_params,
    sign_in,
)


def msal_client(sim, http, app, tenant=CONTOSO, **credential):
    return msal.ConfidentialClientApplication(
        app["client_id"], client_credential=credential.get("credential", app["secret"]),
        authority=f"{sim.authority}/{tenant}", instance_discovery=False, http_client=http)


def verified_claims(sim, http, id_token, tenant, audience):
    """Checks the signature against the tenant's JWKS, as the service does."""
    jwks = http.get(f"{sim.authority}/{tenant}/discovery/v2.0/keys").json()
    header = jwt.get_unverified_header(id_token)
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    return jwt.decode(id_token, jwt.PyJWK(key).key, algorithms=["RS256"], audience=audience,
                      issuer=f"{sim.authority}/{tenant}/v2.0")


def msal_sign_in(sim, http, client, app, username, tenant=CONTOSO):
    flow = client.initiate_auth_code_flow(scopes=[], redirect_uri=app["redirect_uri"],
                                          response_mode="form_post")
    picker = http.get(flow["auth_uri"])
    assert picker.status_code == 200 and username in picker.text
    url = urlsplit(flow["auth_uri"])
    page = http.post(f"{sim.authority}{url.path}",
                     data={**dict(parse_qsl(url.query)), "username": username})
    action, auth_response = posted_form(page.text)
    assert action == app["redirect_uri"]
    return flow, client.acquire_token_by_auth_code_flow(flow, auth_response)


def test_msal_signs_in_and_the_id_token_verifies_against_the_jwks(sim, http, new_app):
    app = new_app(optional_claims=["email", "xms_edov"])
    client = msal_client(sim, http, app)
    flow, result = msal_sign_in(sim, http, client, app, ADELE)
    assert "id_token" in result, result
    claims = verified_claims(sim, http, result["id_token"], CONTOSO, app["client_id"])
    assert claims["tid"] == CONTOSO
    assert claims["ver"] == "2.0"
    # MSAL sends a hash of its nonce; Entra echoes what was sent.
    assert claims["nonce"] == dict(parse_qsl(urlsplit(flow["auth_uri"]).query))["nonce"]
    assert claims["preferred_username"] == ADELE
    assert claims["email"] == ADELE and claims["xms_edov"] is True
    assert claims["exp"] - claims["iat"] == 3600
    assert {"oid", "sub", "uti", "rh", "name", "nbf"} <= set(claims)
    assert jwt.get_unverified_header(result["id_token"])["alg"] == "RS256"


def test_email_only_as_an_optional_claim_and_only_when_the_user_has_one(sim, http, new_app):
    plain = new_app()
    optional = new_app(optional_claims=["email"])
    for app, user, expected in ((plain, ADELE, None), (optional, BOB, None),
                                (optional, ADELE, ADELE)):
        verifier, challenge = pkce_pair()
        code = redirect_params(sign_in(http, sim, CONTOSO, authorize_params(app, challenge),
                                       user))["code"]
        id_token = redeem(http, sim, CONTOSO, app, code, verifier).json()["id_token"]
        claims = jwt.decode(id_token, options={"verify_signature": False})
        assert claims.get("email") == expected
        assert "xms_edov" not in claims


def test_sub_is_pairwise_per_app_and_stable(sim, http, new_app):
    first, second = new_app(), new_app()

    def sub(app):
        verifier, challenge = pkce_pair()
        code = redirect_params(sign_in(http, sim, CONTOSO, authorize_params(app, challenge),
                                       ADELE))["code"]
        token = redeem(http, sim, CONTOSO, app, code, verifier).json()["id_token"]
        return jwt.decode(token, options={"verify_signature": False})

    a1, a2, b = sub(first), sub(first), sub(second)
    assert a1["sub"] == a2["sub"] != b["sub"]
    assert a1["oid"] == b["oid"]


def test_state_comes_back_and_the_picker_preselects_the_login_hint(sim, http, new_app):
    app = new_app()
    _, challenge = pkce_pair()
    params = authorize_params(app, challenge, login_hint=BOB)
    page = http.get(f"{sim.authority}/{CONTOSO}/oauth2/v2.0/authorize", params=params)
    assert f'value="{BOB}" class="hint" autofocus' in page.text
    assert redirect_params(sign_in(http, sim, CONTOSO, params, BOB))["state"] == params["state"]


def test_a_code_is_single_use(sim, http, new_app):
    app = new_app()
    verifier, challenge = pkce_pair()
    code = redirect_params(sign_in(http, sim, CONTOSO, authorize_params(app, challenge),
                                   ADELE))["code"]
    assert redeem(http, sim, CONTOSO, app, code, verifier).status_code == 200
    again = redeem(http, sim, CONTOSO, app, code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert again.json()["error_codes"] == [54005]


def test_pkce_verifier_must_match(sim, http, new_app):
    app = new_app()
    _, challenge = pkce_pair()
    code = redirect_params(sign_in(http, sim, CONTOSO, authorize_params(app, challenge),
                                   ADELE))["code"]
    wrong = redeem(http, sim, CONTOSO, app, code, "not-the-verifier-" + "x" * 40)
    assert wrong.status_code == 400
    assert wrong.json()["error_codes"] == [501481]


@pytest.mark.parametrize("change", [{"code_challenge": None},
                                    {"code_challenge_method": "plain"}])
def test_pkce_s256_is_required_at_authorize(sim, http, new_app, change):
    app = new_app()
    _, challenge = pkce_pair()
    params = {k: v for k, v in {**authorize_params(app, challenge), **change}.items()
              if v is not None}
    error = redirect_params(sign_in(http, sim, CONTOSO, params, ADELE))
    assert error["error"] == "invalid_request"
    assert error["state"] == params["state"]
    assert "code" not in error


def test_redirect_uri_must_equal_the_one_of_the_authorize_request(sim, http, new_app):
    other = "https://app.example.com/other"
    app = new_app(redirect_uris=[f"https://app.example.com/{id(object())}/cb", other])
    verifier, challenge = pkce_pair()
    code = redirect_params(sign_in(http, sim, CONTOSO, authorize_params(app, challenge),
                                   ADELE))["code"]
    response = redeem(http, sim, CONTOSO, app, code, verifier, redirect_uri=other)
    assert response.status_code == 400
    assert response.json()["error_codes"] == [500112]


def test_unregistered_redirect_uri_is_shown_on_entras_page_never_redirected(sim, http, new_app):
    app = new_app()
    _, challenge = pkce_pair()
    params = authorize_params(app, challenge, redirect_uri="https://evil.example/cb")
    for response in (http.get(f"{sim.authority}/{CONTOSO}/oauth2/v2.0/authorize", params=params,
                              allow_redirects=False),
                     sign_in(http, sim, CONTOSO, params, ADELE)):
        assert response.status_code == 400
        assert "Location" not in response.headers
        assert "AADSTS50011: The redirect URI &#x27;https://evil.example/cb&#x27;" in response.text


def test_unknown_app_is_shown_on_entras_page(sim, http, new_app):
    app = new_app(tenant=FABRIKAM)  # exists, but not in Contoso
    _, challenge = pkce_pair()
    response = sign_in(http, sim, CONTOSO, authorize_params(app, challenge), ADELE)
    assert response.status_code == 400 and "Location" not in response.headers
    assert "AADSTS700016" in response.text


def test_multi_tenant_app_signs_in_users_of_any_tenant_through_organizations(sim, http, new_app):
    app = new_app(sign_in_audience="AzureADMultipleOrgs")
    verifier, challenge = pkce_pair()
    params = authorize_params(app, challenge)
    page = http.get(f"{sim.authority}/organizations/oauth2/v2.0/authorize", params=params)
    assert ADELE in page.text and CARLOS in page.text
    code = redirect_params(sign_in(http, sim, "organizations", params, CARLOS))["code"]
    token = redeem(http, sim, "organizations", app, code, verifier).json()["id_token"]
    claims = verified_claims(sim, http, token, FABRIKAM, app["client_id"])
    assert claims["tid"] == FABRIKAM


def test_single_tenant_app_is_refused_on_organizations(sim, http, new_app):
    app = new_app()
    _, challenge = pkce_pair()
    response = http.get(f"{sim.authority}/organizations/oauth2/v2.0/authorize",
                        params=authorize_params(app, challenge), allow_redirects=False)
    assert response.status_code == 400 and "AADSTS50194" in response.text


def test_client_secret_wrong_or_expired(sim, http, new_app):
    app = new_app(secrets=[{"value": "old-one", "expires_on": "2020-01-01"}])
    token_url = f"{sim.authority}/{CONTOSO}/oauth2/v2.0/token"
    base = {"grant_type": "client_credentials", "client_id": app["client_id"],
            "scope": "https://graph.microsoft.com/.default"}
    wrong = http.post(token_url, data={**base, "client_secret": "nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert wrong.json()["error_codes"] == [7000215]
    expired = http.post(token_url, data={**base, "client_secret": "old-one"})
    assert expired.status_code == 401 and expired.json()["error_codes"] == [7000222]


def test_prompt_none_is_login_required_as_there_is_no_session(sim, http, new_app):
    app = new_app()
    _, challenge = pkce_pair()
    error = redirect_params(http.get(f"{sim.authority}/{CONTOSO}/oauth2/v2.0/authorize",
                                     params=authorize_params(app, challenge, prompt="none"),
                                     allow_redirects=False))
    assert error["error"] == "login_required"
    assert error["error_description"].startswith("AADSTS50058: ")
