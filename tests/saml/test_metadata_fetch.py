"""Fetching a metadata URL must not become a way into our network: https only, public addresses
only (loopback in dev), pinned to the address that was checked, no redirects, 1 MiB, one deadline."""
from __future__ import annotations

import socket

import pytest

from local.entra_sim import pki, saml_idp
from shared.platform.errors import SsoError
from shared.platform.settings import get_settings
from shared.saml import load_idp
from shared.saml.metadata_fetch import fetch_metadata
from tests.saml.entra import TENANT_ID
from tests.saml.metadata_server import Behaviour, MetadataServer

PUBLIC_ADDRESS = "20.190.160.1"  # a public address (Entra's range); nothing ever connects to it here
_real_getaddrinfo = socket.getaddrinfo


class FakeDns(dict):
    """Host name -> addresses the tests decide; `lookups` records each name asked for."""

    def __init__(self):
        super().__init__()
        self.lookups: list[str] = []

    def getaddrinfo(self, host, port, *args, **kwargs):
        if host not in self:
            return _real_getaddrinfo(host, port, *args, **kwargs)  # IP literals, the test servers
        self.lookups.append(host)
        return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in self[host]]


@pytest.fixture
def dns(monkeypatch) -> FakeDns:
    fake = FakeDns()
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


@pytest.fixture
def server():
    running = MetadataServer()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    return pki.write_tls_files(str(tmp_path_factory.mktemp("tls")))  # ca.pem, server.pem (127.0.0.1, localhost), key


@pytest.fixture
def tls_server(tls_files):
    running = MetadataServer(tls_files=(tls_files[1], tls_files[2]))
    yield running
    running.stop()


def _refused(url: str, *, allow_loopback: bool = False, ca_bundle: str | None = None, timeout: float = 5.0) -> SsoError:
    with pytest.raises(SsoError) as caught:
        fetch_metadata(url, allow_loopback=allow_loopback, ca_bundle=ca_bundle, timeout=timeout)
    return caught.value


def _metadata(idp_key) -> bytes:
    return saml_idp.federation_metadata_xml(tenant_id=TENANT_ID, authority="https://login.microsoftonline.com",
                                            signing_certs_pem=[idp_key.cert_pem])


def test_plain_http_is_refused(dns):
    dns["login.example.com"] = [PUBLIC_ADDRESS]
    error = _refused("http://login.example.com/federationmetadata.xml")
    assert error.code == "metadata_unreachable" and "http" in error.message


@pytest.mark.parametrize("address", [
    "127.0.0.1", "::1", "::ffff:127.0.0.1", "10.0.0.5", "172.16.0.1", "192.168.1.1", "100.64.0.1",
    "169.254.169.254", "fe80::1", "fd00::1", "0.0.0.0", "224.0.0.1", "240.0.0.1", "198.18.0.1",
])
def test_private_loopback_link_local_and_reserved_addresses_are_refused(dns, server, address):
    dns["metadata.example.com"] = [address]
    error = _refused(f"https://metadata.example.com:{server.port}/metadata")
    assert error.code == "metadata_unreachable" and "address" in error.message
    assert server.requests == []


def test_ip_literals_are_checked_too(server):
    assert _refused(f"https://127.0.0.1:{server.port}/metadata").code == "metadata_unreachable"
    assert _refused("https://[::1]/metadata").code == "metadata_unreachable"
    assert server.requests == []


def test_one_private_answer_among_public_ones_is_refused(dns):
    dns["metadata.example.com"] = [PUBLIC_ADDRESS, "10.0.0.5"]
    assert _refused("https://metadata.example.com/metadata").code == "metadata_unreachable"


@pytest.mark.parametrize("url", ["ftp://login.example.com/x", "file:///etc/passwd", "https://user:pw@login.example.com/x",
                                 "https:///nohost", "https://login.example.com:99999/x", "not a url"])
def test_other_urls_are_refused(url):
    assert _refused(url).code == "metadata_unreachable"


def test_loopback_is_allowed_in_development(server, idp_key):
    server.behaviour = Behaviour(body=_metadata(idp_key))
    body = fetch_metadata(f"http://127.0.0.1:{server.port}/federationmetadata.xml?appid=x", allow_loopback=True, ca_bundle=None)
    assert body == server.behaviour.body
    assert server.requests[0]["path"] == "/federationmetadata.xml?appid=x"


def test_connection_is_pinned_to_the_checked_address(dns, server, idp_key):
    """The name is resolved once; the connection goes to that address, so a second DNS answer
    (rebinding to an internal address) is never asked for."""
    dns["idp.rebind.test"] = ["127.0.0.1"]
    server.behaviour = Behaviour(body=_metadata(idp_key))
    fetch_metadata(f"http://idp.rebind.test:{server.port}/metadata", allow_loopback=True, ca_bundle=None)
    assert dns.lookups == ["idp.rebind.test"]
    assert server.requests == [{"path": "/metadata", "host": f"idp.rebind.test:{server.port}"}]


def test_tls_is_verified_against_the_host_name_and_the_configured_ca(dns, tls_server, tls_files, idp_key):
    tls_server.behaviour = Behaviour(body=_metadata(idp_key))
    ca_bundle = tls_files[0]
    url = f"https://localhost:{tls_server.port}/metadata"
    assert fetch_metadata(url, allow_loopback=True, ca_bundle=ca_bundle) == tls_server.behaviour.body
    assert _refused(url, allow_loopback=True).code == "metadata_unreachable"  # the CA is not trusted without SSO_CA_BUNDLE
    dns["idp.rebind.test"] = ["127.0.0.1"]  # pinned to 127.0.0.1, but the certificate is not for this name
    error = _refused(f"https://idp.rebind.test:{tls_server.port}/metadata", allow_loopback=True, ca_bundle=ca_bundle)
    assert error.code == "metadata_unreachable" and "TLS" in error.message


def test_redirects_are_not_followed(server):
    server.behaviour = Behaviour(status=302, headers={"Location": "http://169.254.169.254/metadata/instance"})
    error = _refused(f"http://127.0.0.1:{server.port}/metadata", allow_loopback=True)
    assert error.code == "metadata_unreachable" and "redirect" in error.message
    assert len(server.requests) == 1


def test_error_status_is_unreachable(server):
    server.behaviour = Behaviour(status=404, body=b"not found")
    assert _refused(f"http://127.0.0.1:{server.port}/metadata", allow_loopback=True).code == "metadata_unreachable"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_more_than_one_mebibyte_is_refused(server, chunked):
    server.behaviour = Behaviour(body=b"<x>" + b"a" * (1024 * 1024) + b"</x>", chunked=chunked)
    assert _refused(f"http://127.0.0.1:{server.port}/metadata", allow_loopback=True).code == "invalid_metadata"


def test_a_server_that_does_not_answer_is_unreachable(server):
    server.behaviour = Behaviour(body=b"<x/>", delay_headers=30)
    error = _refused(f"http://127.0.0.1:{server.port}/metadata", allow_loopback=True, timeout=0.5)
    assert error.code == "metadata_unreachable"


def test_a_server_that_trickles_is_cut_off_by_the_deadline(server):
    """Each byte arrives well within a per-read timeout; only a deadline for the whole fetch stops it."""
    server.behaviour = Behaviour(body=b"<x>" + b"a" * 200 + b"</x>", trickle=True)
    error = _refused(f"http://127.0.0.1:{server.port}/metadata", allow_loopback=True, timeout=0.5)
    assert error.code == "metadata_unreachable"


def test_load_idp_fetches_with_the_stamps_settings(monkeypatch, server, idp_key):
    server.behaviour = Behaviour(body=_metadata(idp_key))
    url = f"http://127.0.0.1:{server.port}/metadata"
    with pytest.raises(SsoError):
        load_idp(metadata_url=url)  # production: loopback refused
    monkeypatch.setenv("SSO_ALLOW_LOOPBACK_METADATA", "true")
    get_settings.cache_clear()
    assert load_idp(metadata_url=url).certificates == (idp_key.cert_pem.decode(),)
