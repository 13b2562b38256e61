"""MSAL confidential clients: cached per connection and credential, the auth-code flow with PKCE,
state and nonce, Entra's errors mapped, and no replay of a past answer from MSAL's caches.

MSAL runs for real; only its HTTP client is replaced (FakeHttp), which serves FakeEntra's
discovery documents and scripted token-endpoint answers."""
from __future__ import annotations

import base64
import datetime
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from shared.oidc import entra_client
from shared.oidc.entra_client import AppCache, AppRegistration, finish_auth_code_flow, probe_credential, start_auth_code_flow
from shared.oidc.entra_id_token import validate_id_token
from shared.platform.errors import SsoError
from tests.oidc import fake_entra as fe

SECRET = "s3cret-value-never-shown"


class Answer:
    def __init__(self, status: int, body, headers=None):
        self.status_code, self.headers = status, headers or {}
        self.text = body if isinstance(body, str) else json.dumps(body)


class FakeHttp:
    def __init__(self, entra):
        self.entra = entra
        self.token_answers: list = []  # scripted answers of the token endpoint; then 200 with an access token
        self.posts: list[tuple[str, dict]] = []

    def get(self, url, **kwargs):
        status, body = self.entra.fetch(url)
        return Answer(status, body)

    def post(self, url, data=None, **kwargs):
        self.posts.append((url, dict(data or {})))
        answer = self.token_answers.pop(0) if self.token_answers else Answer(200, {"access_token": "at", "token_type": "Bearer", "expires_in": 3600})
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self):
        pass


@pytest.fixture
def http(entra, monkeypatch):
    fake = FakeHttp(entra)
    monkeypatch.setattr(entra_client, "entra_http_client", lambda: fake)
    monkeypatch.setattr(entra_client, "_apps", AppCache())
    return fake


def registration(credential=SECRET, tenant=fe.TENANT, version="v1", client_id=fe.CLIENT_ID, connection="conn_1") -> AppRegistration:
    return AppRegistration(connection, version, tenant, client_id, credential)


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def code_of(call) -> str:
    with pytest.raises(SsoError) as raised:
        call()
    return raised.value.code


def id_token_answer(flow: dict, **claims) -> Answer:
    nonce = query(flow["auth_uri"])["nonce"]
    return Answer(200, {"access_token": "at", "token_type": "Bearer", "expires_in": 3600,
                        "id_token": fe.token(fe.claims(nonce=nonce, **claims))})


# The app cache.

def test_one_app_per_connection_credential_tenant_and_client_id():
    built = []
    cache = AppCache(build=lambda reg, tenant: built.append((reg, tenant)) or object())
    app = cache.get(registration())
    assert cache.get(registration()) is app
    assert cache.get(registration(version="v2")) is not app
    assert cache.get(registration(client_id="another-client")) is not app
    assert cache.get(registration(tenant=fe.OTHER_TENANT)) is not app
    assert cache.get(registration()) is app
    assert len(built) == 4


def test_the_app_cache_is_bounded_least_recently_used_first():
    cache = AppCache(build=lambda reg, tenant: object(), size=2)
    first, second = cache.get(registration(connection="conn_a")), cache.get(registration(connection="conn_b"))
    cache.get(registration(connection="conn_a"))
    cache.get(registration(connection="conn_c"))  # evicts conn_b
    assert cache.get(registration(connection="conn_a")) is first
    assert cache.get(registration(connection="conn_b")) is not second


def test_sign_ins_reuse_the_app(http):
    flow, _ = start_auth_code_flow(registration())
    http.token_answers.append(id_token_answer(flow))
    finish_auth_code_flow(registration(), flow, {"code": "c1", "state": flow["state"]})
    start_auth_code_flow(registration())
    discovery_gets = [url for url in http.entra.fetches if url.endswith("openid-configuration")]
    assert len(discovery_gets) == 2  # ours once, MSAL's once: one app for all three calls


# Starting a sign-in.

def test_the_auth_uri_carries_pkce_state_nonce_and_our_redirect_uri(http, settings):
    flow, auth_uri = start_auth_code_flow(registration(), scopes="openid profile email offline_access", login_hint="adele@contoso.com", prompt="select_account")
    params = query(auth_uri)
    assert auth_uri.startswith(f"{fe.HOST}/{fe.TENANT}/oauth2/v2.0/authorize?")
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == settings.oidc_redirect_uri
    assert params["code_challenge_method"] == "S256"
    verifier_hash = hashlib.sha256(flow["code_verifier"].encode()).digest()
    assert params["code_challenge"] == base64.urlsafe_b64encode(verifier_hash).rstrip(b"=").decode()
    assert params["state"] == flow["state"] and params["nonce"]
    assert set(params["scope"].split()) == {"openid", "profile", "email"}  # no refresh token asked for
    assert (params["login_hint"], params["prompt"]) == ("adele@contoso.com", "select_account")
    again, _ = start_auth_code_flow(registration())
    assert {again["state"], again["nonce"], again["code_verifier"]}.isdisjoint({flow["state"], flow["nonce"], flow["code_verifier"]})


def test_the_callers_state_is_sent(http):
    flow, auth_uri = start_auth_code_flow(registration(), state="login_7f3a9c")
    assert flow["state"] == query(auth_uri)["state"] == "login_7f3a9c"


def test_an_unknown_prompt_is_refused(http):
    assert code_of(lambda: start_auth_code_flow(registration(), prompt="login&x=1")) == "invalid_request"


def test_an_unknown_tenant_is_reported_in_our_words(http):
    assert code_of(lambda: start_auth_code_flow(registration(tenant="5a4cb4a6-83de-4b9e-a0f3-3f8a0d5e5a67"))) == "tenant_not_found"


# Finishing it.

def test_the_code_is_redeemed_with_the_verifier_and_the_id_token_validates(http, settings):
    flow, _ = start_auth_code_flow(registration())
    http.token_answers.append(id_token_answer(flow))
    result = finish_auth_code_flow(registration(), flow, {"code": "the-code", "state": flow["state"], "session_state": "x"})
    url, data = http.posts[-1]
    assert url == f"{fe.HOST}/{fe.TENANT}/oauth2/v2.0/token"
    assert (data["code"], data["code_verifier"], data["redirect_uri"]) == ("the-code", flow["code_verifier"], settings.oidc_redirect_uri)
    claims = validate_id_token(result.id_token, client_id=fe.CLIENT_ID, entra_tenant_id=fe.TENANT, nonce=result.nonce)
    assert claims["tid"] == fe.TENANT
    assert SECRET not in repr(result) and result.id_token not in repr(result)


def test_an_id_token_for_another_sign_in_is_refused_by_msals_nonce_check(http):
    flow, _ = start_auth_code_flow(registration())
    http.token_answers.append(Answer(200, {"access_token": "at", "token_type": "Bearer", "id_token": fe.token(fe.claims(nonce="other"))}))
    assert code_of(lambda: finish_auth_code_flow(registration(), flow, {"code": "c", "state": flow["state"]})) == "id_token_nonce_mismatch"


def test_an_error_redirect_is_mapped_without_calling_the_token_endpoint(http):
    flow, _ = start_auth_code_flow(registration())
    callback = {"error": "access_denied", "error_description": "AADSTS50105: not assigned", "state": flow["state"]}
    assert code_of(lambda: finish_auth_code_flow(registration(), flow, callback)) == "user_not_assigned"
    assert http.posts == []


@pytest.mark.parametrize("callback", [{"code": "c", "state": "another-state"}, {"code": "c"}, {"state": "STATE"}])
def test_a_callback_of_another_flow_is_refused(http, callback):
    flow, _ = start_auth_code_flow(registration())
    callback = {k: (flow["state"] if v == "STATE" else v) for k, v in callback.items()}
    assert code_of(lambda: finish_auth_code_flow(registration(), flow, callback)) == "invalid_callback"
    assert http.posts == []


def test_a_forged_client_info_in_the_callback_is_not_given_to_msal(http):
    flow, _ = start_auth_code_flow(registration())
    http.token_answers.append(id_token_answer(flow))
    finish_auth_code_flow(registration(), flow, {"code": "c", "state": flow["state"], "client_info": "%%%not-base64"})


def test_token_endpoint_errors_are_mapped(http):
    flow, _ = start_auth_code_flow(registration())
    http.token_answers.append(Answer(401, {"error": "invalid_client", "error_codes": [7000215],
                                           "error_description": "AADSTS7000215: Invalid client secret provided."}))
    assert code_of(lambda: finish_auth_code_flow(registration(), flow, {"code": "c", "state": flow["state"]})) == "invalid_client_secret"


@pytest.mark.parametrize("failure", [Answer(503, "busy"), Answer(502, "{}"), requests.ConnectionError(), requests.ReadTimeout(), Answer(200, "<html>")])
def test_a_transient_failure_is_authority_unreachable_and_the_next_sign_in_works(http, failure):
    flow, _ = start_auth_code_flow(registration())
    http.token_answers.append(failure)
    assert code_of(lambda: finish_auth_code_flow(registration(), flow, {"code": "c1", "state": flow["state"]})) == "authority_unreachable"
    flow, _ = start_auth_code_flow(registration())
    http.token_answers.append(id_token_answer(flow))
    assert finish_auth_code_flow(registration(), flow, {"code": "c2", "state": flow["state"]}).id_token


# The credential probe: every call asks Entra.

def test_a_probe_after_a_5xx_asks_entra_again(http):
    http.token_answers.append(Answer(503, "busy", {"Retry-After": "3600"}))
    assert code_of(lambda: probe_credential(registration())) == "authority_unreachable"
    probe_credential(registration())
    assert len(http.posts) == 2


def test_a_probe_after_a_refusal_asks_entra_again(http):
    http.token_answers.append(Answer(400, {"error": "invalid_client", "error_codes": [700027],
                                           "error_description": "AADSTS700027: certificate not registered"}))
    assert code_of(lambda: probe_credential(registration())) == "invalid_client_certificate"
    probe_credential(registration())  # the admin has uploaded the certificate meanwhile
    assert len(http.posts) == 2


def test_a_probe_is_never_answered_from_a_token_cache(http):
    probe_credential(registration())
    http.token_answers.append(Answer(401, {"error": "invalid_client", "error_codes": [7000222]}))
    assert code_of(lambda: probe_credential(registration())) == "client_secret_expired"


def test_a_probe_asks_for_graph_default_with_the_secret(http):
    probe_credential(registration())
    url, data = http.posts[-1]
    assert (data["grant_type"], data["scope"], data["client_secret"]) == ("client_credentials", "https://graph.microsoft.com/.default", SECRET)


def test_a_multi_tenant_connection_is_probed_in_a_named_tenant(http):
    with pytest.raises(ValueError):
        probe_credential(registration(tenant="organizations"))
    probe_credential(registration(tenant="organizations"), tenant_id=fe.OTHER_TENANT)
    assert http.posts[-1][0] == f"{fe.HOST}/{fe.OTHER_TENANT}/oauth2/v2.0/token"


def certificate() -> dict:
    key = fe.private_key("key-2")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "entra-sso test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return {
        "private_key": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode(),
        "thumbprint": cert.fingerprint(hashes.SHA1()).hex(),
        "public_certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
    }


def test_a_certificate_credential_signs_a_client_assertion(http):
    credential = certificate()
    probe_credential(registration(credential=credential, version="cert-1"))
    url, data = http.posts[-1]
    assert "client_secret" not in data
    assertion = data["client_assertion"]
    header = jwt.get_unverified_header(assertion)
    assert header["alg"] == "RS256"
    assert base64.urlsafe_b64decode(header["x5t"] + "==") == bytes.fromhex(credential["thumbprint"])
    claims = jwt.decode(assertion, fe.private_key("key-2").public_key(), algorithms=["RS256"], audience=url)
    assert claims["iss"] == claims["sub"] == fe.CLIENT_ID


def test_msals_own_client_assertion_form_is_passed_as_is(http):
    probe_credential(registration(credential={"client_assertion": lambda: "signed-elsewhere"}, version="cert-2"))
    assert http.posts[-1][1]["client_assertion"] == "signed-elsewhere"


def test_every_request_gets_a_new_client_assertion(http):
    with_certificate = registration(credential=certificate(), version="cert-1")
    probe_credential(with_certificate)
    probe_credential(with_certificate)
    first, second = (jwt.decode(data["client_assertion"], options={"verify_signature": False}) for _, data in http.posts)
    assert first["jti"] != second["jti"]
