"""Client authentication at the token endpoint: secrets (post and Basic), and private_key_jwt
client assertions as MSAL makes them, checked the way Entra checks them."""

import time
import uuid

import jwt
import msal
import pytest
from cryptography.hazmat.primitives import hashes

from local.entra_sim import pki
from tests.simulator.flows import CONTOSO

GRAPH = "https://graph.microsoft.com/.default"


@pytest.fixture(scope="module")
def certificate():
    return pki.self_signed("test client certificate", days=30)


@pytest.fixture
def cert_app(new_app, certificate):
    return new_app(certificates=[certificate.cert_pem.decode()])


def token_url(sim, tenant=CONTOSO):
    return f"{sim.authority}/{tenant}/oauth2/v2.0/token"


def assertion(sim, app, signer, *, thumbprint_of=None, **claims):
    now = int(time.time())
    body = {"aud": token_url(sim), "iss": app["client_id"], "sub": app["client_id"],
            "jti": str(uuid.uuid4()), "nbf": now, "exp": now + 600, **claims}
    headers = {"x5t#S256": pki.x5t_s256((thumbprint_of or signer).cert)}
    return jwt.encode(body, signer.key, algorithm="PS256", headers=headers)


def client_credentials(http, sim, app, client_assertion):
    return http.post(token_url(sim), data={
        "grant_type": "client_credentials", "client_id": app["client_id"], "scope": GRAPH,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": client_assertion})


@pytest.mark.parametrize("credential", ["certificate", "sha1 thumbprint"])
def test_msal_certificate_credential_is_accepted(sim, http, cert_app, certificate, credential):
    if credential == "certificate":  # MSAL: PS256 with x5t#S256
        secret = {"private_key": certificate.key_pem.decode(),
                  "public_certificate": certificate.cert_pem.decode()}
    else:  # MSAL's legacy form: RS256 with x5t
        secret = {"private_key": certificate.key_pem.decode(),
                  "thumbprint": certificate.cert.fingerprint(hashes.SHA1()).hex()}
    client = msal.ConfidentialClientApplication(
        cert_app["client_id"], client_credential=secret, authority=f"{sim.authority}/{CONTOSO}",
        instance_discovery=False, http_client=http)
    result = client.acquire_token_for_client(scopes=[GRAPH])
    assert result.get("token_type") == "Bearer", result
    assert result["access_token"]


def test_forged_assertion_naming_a_registered_certificate_is_refused(sim, http, cert_app,
                                                                     certificate):
    forger = pki.self_signed("forger", days=30)
    response = client_credentials(http, sim, cert_app,
                                  assertion(sim, cert_app, forger, thumbprint_of=certificate))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.json()["error_codes"] == [700027]


def test_unregistered_certificate_is_refused(sim, http, cert_app):
    stranger = pki.self_signed("stranger", days=30)
    response = client_credentials(http, sim, cert_app, assertion(sim, cert_app, stranger))
    assert response.status_code == 401 and response.json()["error_codes"] == [700027]
    assert "is not registered on application" in response.json()["error_description"]


@pytest.mark.parametrize("claims, code", [
    ({"aud": "https://login.example.com/token"}, 700023),
    ({"iss": str(uuid.uuid4())}, 700021),
    ({"exp": int(time.time()) - 3600}, 700024),
])
def test_assertion_claims_are_checked(sim, http, cert_app, certificate, claims, code):
    response = client_credentials(http, sim, cert_app,
                                  assertion(sim, cert_app, certificate, **claims))
    assert response.status_code == 401 and response.json()["error_codes"] == [code]


def test_an_assertion_is_accepted_once(sim, http, cert_app, certificate):
    once = assertion(sim, cert_app, certificate)
    assert client_credentials(http, sim, cert_app, once).status_code == 200
    replay = client_credentials(http, sim, cert_app, once)
    assert replay.status_code == 401 and replay.json()["error_codes"] == [700027]


def test_secret_by_http_basic(sim, http, new_app):
    app = new_app()
    response = http.post(token_url(sim), auth=(app["client_id"], app["secret"]),
                         data={"grant_type": "client_credentials", "scope": GRAPH})
    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"


def test_client_credentials_needs_a_default_scope_and_a_tenant(sim, http, new_app):
    app = new_app(sign_in_audience="AzureADMultipleOrgs")
    data = {"grant_type": "client_credentials", "client_id": app["client_id"],
            "client_secret": app["secret"]}
    scoped = http.post(token_url(sim), data={**data, "scope": "User.Read"})
    assert scoped.status_code == 400 and scoped.json()["error_codes"] == [1002012]
    anywhere = http.post(token_url(sim, "organizations"), data={**data, "scope": GRAPH})
    assert anywhere.status_code == 400 and anywhere.json()["error_codes"] == [50059]


def test_no_credential_at_all(sim, http, new_app):
    app = new_app()
    response = http.post(token_url(sim), data={
        "grant_type": "client_credentials", "client_id": app["client_id"], "scope": GRAPH})
    assert response.status_code == 401 and response.json()["error_codes"] == [7000218]
