"""The OIDC library against the local Entra simulator over real HTTPS: MSAL's auth-code flow end
to end, our ID-token validation and profile, key rotation, client certificates and secrets, and
Entra's errors and 5xx answers. The browser's part (the account picker's POST) is done here."""
from __future__ import annotations

import datetime
import uuid
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from local.entra_sim import start_simulator
from shared.oidc import discovery, entra_client, jwks
from shared.oidc.discovery import provider_metadata
from shared.oidc.entra_client import AppRegistration, finish_auth_code_flow, probe_credential, start_auth_code_flow
from shared.oidc.entra_id_token import validate_id_token
from shared.platform.errors import SsoError
from shared.platform.outbound import entra_http_client, http_session
from shared.platform.settings import get_settings
from shared.signin.profile import oidc_profile

CONTOSO = "0ff014fc-8490-4ab7-bf04-c6875829a31f"
FABRIKAM = "2ec7d01f-b28f-4f43-a09e-28545b0a28e9"
ADELE = "adele.vance@contoso.com"  # email + xms_edov
BOB = "bob.kelly@contoso.com"  # no email
CARLOS = "carlos.ortiz@fabrikam.com"


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    simulator = start_simulator(state_dir=str(tmp_path_factory.mktemp("entra-sim")))
    yield simulator
    simulator.stop()


@pytest.fixture
def jwks_clock(settings, sim, monkeypatch) -> Clock:
    """Settings point at the simulator; fresh caches (the JWKS one on a clock the test moves)."""
    monkeypatch.setenv("SSO_ENTRA_AUTHORITY_HOST", sim.authority)
    monkeypatch.setenv("SSO_CA_BUNDLE", sim.ca_bundle)
    get_settings.cache_clear()
    http_session.cache_clear()
    entra_http_client.cache_clear()
    clock = Clock()
    monkeypatch.setattr(discovery, "_default", discovery.DiscoveryCache())
    monkeypatch.setattr(jwks, "_default", jwks.JwksCache(clock=clock))
    monkeypatch.setattr(entra_client, "_apps", entra_client.AppCache())
    yield clock
    sim.clear_errors()


@pytest.fixture
def app(sim, jwks_clock):
    """A fresh app registration in Contoso whose redirect URI is this stamp's callback."""
    def register(tenant=CONTOSO, **spec) -> tuple[dict, AppRegistration]:
        secret = f"secret-{uuid.uuid4()}"
        spec = {"client_id": str(uuid.uuid4()), "name": "entra-sso test", "redirect_uris": [get_settings().oidc_redirect_uri],
                "secrets": [{"value": secret}], "optional_claims": ["email", "xms_edov"], **spec}
        view = sim.add_app(tenant, spec)
        tenant_id = "organizations" if spec.get("sign_in_audience") == "AzureADMultipleOrgs" else tenant
        return view, AppRegistration(f"conn_{uuid.uuid4().hex[:8]}", "secret:1", tenant_id, view["client_id"], secret)
    return register


def browser_sign_in(sim, auth_uri: str, username: str) -> dict:
    """What the account picker's button does: POST the authorize parameters plus the username;
    returns the query Entra redirects to our callback with."""
    url = urlsplit(auth_uri)
    response = requests.post(f"{url.scheme}://{url.netloc}{url.path}", data={**dict(parse_qsl(url.query)), "username": username},
                             verify=sim.ca_bundle, allow_redirects=False)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == get_settings().oidc_redirect_uri
    return dict(parse_qsl(location.query))


def sign_in(sim, registration: AppRegistration, username: str = ADELE, **validation) -> dict:
    flow, auth_uri = start_auth_code_flow(registration, scopes="openid profile email")
    token = finish_auth_code_flow(registration, flow, browser_sign_in(sim, auth_uri, username))
    return validate_id_token(token.id_token, client_id=registration.client_id, entra_tenant_id=registration.entra_tenant_id,
                             nonce=token.nonce, **validation)


def code_of(call) -> str:
    with pytest.raises(SsoError) as raised:
        call()
    return raised.value.code


def test_an_auth_code_flow_end_to_end(sim, app):
    _, registration = app()
    claims = sign_in(sim, registration)
    assert (claims["tid"], claims["aud"], claims["preferred_username"]) == (CONTOSO, registration.client_id, ADELE)
    profile, email = oidc_profile(claims, organization="contoso", connection_id=registration.connection_id,
                                  verified_domains=["contoso.com"], own_single_tenant_app=True)
    assert (profile["email"], profile["email_verified"], profile["idp_id"]) == (ADELE, True, claims["oid"])
    assert sign_in(sim, registration)["oid"] == claims["oid"]


def test_a_user_without_email_gets_an_unverified_fallback(sim, app):
    _, registration = app()
    claims = sign_in(sim, registration, BOB)
    profile, email = oidc_profile(claims, organization="contoso", connection_id=registration.connection_id,
                                  verified_domains=["contoso.com"], own_single_tenant_app=True)
    assert (profile["email"], profile["email_verified"], email.reason) == (BOB, False, "not_email_claim")


def test_a_multi_tenant_app_admits_only_allowed_tenants(sim, app):
    _, registration = app(sign_in_audience="AzureADMultipleOrgs")
    assert sign_in(sim, registration, CARLOS, allowed_tenant_ids=[CONTOSO, FABRIKAM])["tid"] == FABRIKAM
    assert code_of(lambda: sign_in(sim, registration, CARLOS, allowed_tenant_ids=[CONTOSO])) == "tenant_not_allowed"


def test_a_rotated_signing_key_is_fetched_after_a_minute_at_most(sim, app, jwks_clock):
    _, registration = app()
    sign_in(sim, registration)
    sim.rotate_keys()
    try:
        flow, auth_uri = start_auth_code_flow(registration)
        token = finish_auth_code_flow(registration, flow, browser_sign_in(sim, auth_uri, ADELE))
        validate = lambda: validate_id_token(token.id_token, client_id=registration.client_id, entra_tenant_id=CONTOSO, nonce=token.nonce)
        assert code_of(validate) == "id_token_unknown_key"  # keys fetched 0 s ago: not again
        jwks_clock.now += 60
        assert validate()["tid"] == CONTOSO
    finally:
        sim.retire_keys()


def test_entras_refusal_at_authorize_comes_back_as_our_code(sim, app):
    view, registration = app()
    sim.set_error("AADSTS65001", client_id=view["client_id"], endpoint="authorize", times=1)
    flow, auth_uri = start_auth_code_flow(registration)
    callback = browser_sign_in(sim, auth_uri, ADELE)
    assert callback["error"] == "consent_required"
    assert code_of(lambda: finish_auth_code_flow(registration, flow, callback)) == "consent_required"


def test_a_5xx_of_the_token_endpoint_does_not_fail_the_next_sign_in(sim, app):
    _, registration = app()
    flow, auth_uri = start_auth_code_flow(registration)
    callback = browser_sign_in(sim, auth_uri, ADELE)
    sim.fail_token_endpoint(503, times=1)
    assert code_of(lambda: finish_auth_code_flow(registration, flow, callback)) == "authority_unreachable"
    assert sign_in(sim, registration)["tid"] == CONTOSO


def test_the_secret_probe(sim, app):
    view, registration = app()
    probe_credential(registration)
    wrong = AppRegistration(registration.connection_id, "secret:2", CONTOSO, registration.client_id, "not-the-secret")
    assert code_of(lambda: probe_credential(wrong)) == "invalid_client_secret"
    expired = "expired-" + uuid.uuid4().hex
    sim.update_app(view["client_id"], {"secrets": [{"value": expired, "expires_on": "2020-01-01"}]})
    old = AppRegistration(registration.connection_id, "secret:3", CONTOSO, registration.client_id, expired)
    assert code_of(lambda: probe_credential(old)) == "client_secret_expired"


def certificate() -> dict:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "entra-sso connection")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    return {
        "private_key": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode(),
        "thumbprint": cert.fingerprint(hashes.SHA1()).hex(),
        "public_certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
    }


def test_a_certificate_is_proven_as_soon_as_it_is_uploaded(sim, app):
    view, registration = app()
    credential = certificate()
    pending = AppRegistration(registration.connection_id, "cert:1", CONTOSO, registration.client_id, credential)
    assert code_of(lambda: probe_credential(pending)) == "invalid_client_certificate"  # not uploaded yet
    sim.update_app(view["client_id"], {"certificates": [credential["public_certificate"]]})
    probe_credential(pending)  # at once: no replay of Entra's earlier refusal
    claims = sign_in(sim, pending)  # and it signs users in
    assert claims["aud"] == registration.client_id


def test_discovery_of_the_simulator(sim, jwks_clock):
    assert provider_metadata(CONTOSO).issuer == f"{sim.authority}/{CONTOSO}/v2.0"
    assert provider_metadata("organizations").issuer == f"{sim.authority}/{{tenantid}}/v2.0"
    assert code_of(lambda: provider_metadata(str(uuid.uuid4()))) == "tenant_not_found"


def test_outbound_calls_take_no_proxy_or_credentials_from_the_environment(sim, jwks_clock, monkeypatch, tmp_path):
    """A proxy named in the environment would carry Entra calls past the pinned trust and the
    address rules, and a .netrc would add credentials to them: the stamp's session uses neither."""
    import socket
    import threading

    proxy = socket.create_server(("127.0.0.1", 0))
    seen: list[bytes] = []

    def accept():
        proxy.settimeout(5)
        try:
            connection, _ = proxy.accept()
        except OSError:
            return
        with connection:
            seen.append(connection.recv(200))

    threading.Thread(target=accept, daemon=True).start()
    (tmp_path / ".netrc").write_text(f"machine {urlsplit(sim.authority).hostname} login leaked password secret\n")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.getsockname()[1]}")
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    http_session.cache_clear()
    entra_http_client.cache_clear()
    discovery_url = f"{sim.authority}/{CONTOSO}/v2.0/.well-known/openid-configuration"
    answer = http_session().get(discovery_url)
    lean = entra_http_client().get(discovery_url)
    proxy.close()
    assert (answer.status_code, lean.status_code) == (200, 200)
    assert "Authorization" not in answer.request.headers
    assert seen == []


def test_msals_client_trusts_only_the_configured_roots(sim, jwks_clock, monkeypatch):
    """The lean client MSAL uses for the token endpoint verifies Entra's certificate as the
    session does: without SSO_CA_BUNDLE the simulator's certificate is refused, whatever
    REQUESTS_CA_BUNDLE says."""
    discovery_url = f"{sim.authority}/{CONTOSO}/v2.0/.well-known/openid-configuration"
    assert entra_http_client().get(discovery_url).status_code == 200
    monkeypatch.delenv("SSO_CA_BUNDLE")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sim.ca_bundle)
    get_settings.cache_clear()
    entra_http_client.cache_clear()
    with pytest.raises(requests.ConnectionError):
        entra_http_client().get(discovery_url)


def test_msals_client_follows_no_redirect():
    """An answer that redirects is handed back as it came: the client never sends the request on
    (to a host MSAL was not configured for)."""
    import http.server
    import threading

    import certifi

    from shared.platform.outbound import EntraHttpClient

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            hits.append(self.path)
            self.rfile.read(int(self.headers["Content-Length"]))
            target = f"http://127.0.0.1:{self.server.server_address[1]}/elsewhere"
            self.send_response(307 if self.path.startswith("/token") else 200)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        answer = EntraHttpClient(certifi.where()).post(f"http://127.0.0.1:{server.server_address[1]}/token", data={"code": "c"})
    finally:
        server.shutdown()
    assert answer.status_code == 307 and answer.headers["location"].endswith("/elsewhere")
    assert hits == ["/token"]
