"""The simulator's plain-HTTP listener (scripts/dev's --sim-browser-port) serves the pages a
browser visits and nothing else: tokens, keys, metadata and the control API stay on HTTPS."""
from __future__ import annotations

import pytest
import requests
from lxml import etree

from local.entra_sim import start_simulator

CONTOSO = "0ff014fc-8490-4ab7-bf04-c6875829a31f"
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    with start_simulator(state_dir=str(tmp_path_factory.mktemp("sim")), browser_port=0) as simulator:
        yield simulator


def _http(url: str, verify=True, **kwargs) -> requests.Response:
    session = requests.Session()
    session.trust_env = False
    return session.request(kwargs.pop("method", "GET"), url, verify=verify, allow_redirects=False, timeout=30, **kwargs)


def test_discovery_sends_browsers_to_http_localhost_and_keeps_the_back_channel_on_https(sim):
    assert sim.browser_origin.startswith("http://localhost:")
    config = _http(f"{sim.authority}/{CONTOSO}/v2.0/.well-known/openid-configuration", sim.ca_bundle).json()
    assert config["authorization_endpoint"] == f"{sim.browser_origin}/{CONTOSO}/oauth2/v2.0/authorize"
    assert config["end_session_endpoint"] == f"{sim.browser_origin}/{CONTOSO}/oauth2/v2.0/logout"
    assert config["token_endpoint"].startswith(sim.authority + "/")
    assert config["jwks_uri"].startswith(sim.authority + "/")
    assert config["issuer"] == f"{sim.authority}/{CONTOSO}/v2.0"


def test_federation_metadata_sends_browsers_to_http_localhost(sim):
    xml = _http(f"{sim.authority}/{CONTOSO}/federationmetadata/2007-06/federationmetadata.xml", sim.ca_bundle).content
    locations = {e.get("Location") for tag in ("SingleSignOnService", "SingleLogoutService")
                 for e in etree.fromstring(xml).iter(MD + tag)}
    assert locations == {f"{sim.browser_origin}/{CONTOSO}/saml2"}


def test_the_browser_pages_answer_over_http(sim):
    # No client_id: Entra's error page, from the authorize handler itself.
    page = _http(f"{sim.browser_origin}/{CONTOSO}/oauth2/v2.0/authorize")
    assert page.status_code == 400 and "AADSTS900144" in page.text
    saml = _http(f"{sim.browser_origin}/{CONTOSO}/saml2")
    assert saml.status_code == 400 and "AADSTS750054" in saml.text


@pytest.mark.parametrize(("method", "path"), [
    ("POST", f"/{CONTOSO}/oauth2/v2.0/token"),
    ("GET", f"/{CONTOSO}/discovery/v2.0/keys"),
    ("GET", f"/{CONTOSO}/v2.0/.well-known/openid-configuration"),
    ("GET", f"/{CONTOSO}/federationmetadata/2007-06/federationmetadata.xml"),
    ("GET", "/_sim/tenants"),
    ("POST", "/_sim/keys/rotate"),
])
def test_the_back_channel_is_not_served_over_http(sim, method, path):
    answer = _http(sim.browser_origin + path, method=method, data={"grant_type": "client_credentials"})
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"] == "not_found"


def test_without_a_browser_port_everything_stays_on_the_https_authority(tmp_path):
    with start_simulator(state_dir=str(tmp_path)) as plain:
        config = _http(f"{plain.authority}/{CONTOSO}/v2.0/.well-known/openid-configuration", plain.ca_bundle).json()
        assert plain.browser_origin == plain.authority
        assert config["authorization_endpoint"] == f"{plain.authority}/{CONTOSO}/oauth2/v2.0/authorize"
