"""Fetching an IdP metadata URL without letting it reach into our network.

The URL is an admin's input that the stamp fetches (when a connection is saved, then daily), so
it is a server-side request forgery vector. Hence: https only (plain http only to loopback, in dev
with SSO_ALLOW_LOOPBACK_METADATA); the host is resolved once and every address must be public
(loopback too in dev); the connection goes to that checked address while TLS still verifies the
host name, so a second DNS answer cannot rebind it inside; no redirects; 5 s for the whole
fetch, not per read; at most 1 MiB, counted while streaming.
"""
from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

import certifi
import urllib3
import urllib3.connection
from urllib3.util.ssl_match_hostname import CertificateError

from shared.errors import SsoError

MAX_METADATA_BYTES = 1024 * 1024
TIMEOUT_SECONDS = 5.0
_CHUNK = 64 * 1024


def fetch_metadata(url: str, *, allow_loopback: bool, ca_bundle: str | None, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The document at `url`; `metadata_unreachable` (or `invalid_metadata` past 1 MiB) otherwise."""
    deadline = time.monotonic() + timeout
    parts = urlsplit(url) if isinstance(url, str) and len(url) <= 2048 else None
    try:
        port = parts.port if parts else None
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
        raise _unreachable("it is not an https URL")
    port = port or (443 if parts.scheme == "https" else 80)
    address = _checked_address(parts.hostname, port, allow_loopback, plain_http=parts.scheme == "http")
    connection = _pinned_connection(parts.scheme, address, port, parts.hostname, ca_bundle, timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = port == (443 if parts.scheme == "https" else 80)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    headers = {"Host": host if default_port else f"{host}:{port}", "Accept": "application/samlmetadata+xml, application/xml, text/xml",
               "Accept-Encoding": "identity", "User-Agent": "entra-sso metadata refresh"}
    expired = threading.Event()
    try:
        connection.connect()
        watchdog = threading.Timer(max(deadline - time.monotonic(), 0), _cut, (connection.sock, expired))
        watchdog.start()  # one deadline for the whole exchange: per-read timeouts let a trickle go on for ever
        try:
            connection.request("GET", target, headers=headers, preload_content=False, decode_content=False)
            return _body(connection.getresponse())
        finally:
            watchdog.cancel()
    except (urllib3.exceptions.HTTPError, OSError, http.client.HTTPException, CertificateError) as error:
        raise _unreachable("it did not answer in time" if expired.is_set() else _reason(error)) from None
    finally:
        connection.close()


def _cut(sock: socket.socket, expired: threading.Event) -> None:
    """Ends a blocked read from the watchdog thread (shutdown wakes it; close would not)."""
    expired.set()
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed: the fetch finished as the deadline came


def _checked_address(hostname: str, port: int, allow_loopback: bool, *, plain_http: bool) -> str:
    """Resolves once; refuses unless every address is public (or loopback, when allowed)."""
    try:
        infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _unreachable("its host name does not resolve") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        address = getattr(address, "ipv4_mapped", None) or address
        if address.is_loopback and allow_loopback:
            continue
        if address.is_loopback or address.is_private or address.is_link_local or address.is_reserved \
                or address.is_multicast or address.is_unspecified or not address.is_global:
            raise _unreachable("its host resolves to a private, loopback, link-local or reserved address")
        if plain_http:
            raise _unreachable("it is plain http (allowed only to loopback in development)")
    return str(addresses[0])


def _pinned_connection(scheme: str, address: str, port: int, hostname: str, ca_bundle: str | None, timeout: float):
    """A connection to the checked address; TLS checks the certificate against `hostname`."""
    if scheme == "http":
        return urllib3.connection.HTTPConnection(address, port, timeout=timeout)
    return urllib3.connection.HTTPSConnection(address, port, timeout=timeout, server_hostname=hostname,
                                              assert_hostname=hostname, ssl_context=_tls_context(ca_bundle))


@functools.lru_cache(maxsize=4)
def _tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """The same trust as shared/outbound.py: certifi's roots plus SSO_CA_BUNDLE."""
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    return context


def _body(response) -> bytes:
    if response.status != 200:
        raise _unreachable(f"it answered HTTP {response.status}" + (" (a redirect; use the final URL)" if 300 <= response.status < 400 else ""))
    if response.headers.get("Content-Encoding", "identity").lower() != "identity":
        raise _unreachable("it answered with a compressed body we did not ask for")
    if int(response.headers.get("Content-Length") or 0) > MAX_METADATA_BYTES:
        raise _too_large()
    chunks, size = [], 0
    while chunk := response.read1(_CHUNK):
        size += len(chunk)
        if size > MAX_METADATA_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _reason(error: Exception) -> str:
    if isinstance(error, (urllib3.exceptions.TimeoutError, TimeoutError)):
        return "it did not answer in time"
    if isinstance(error, (ssl.SSLError, CertificateError)):
        return "its TLS certificate is not valid for the host"
    return "the connection failed"


def _unreachable(reason: str) -> SsoError:
    return SsoError("metadata_unreachable", f"The metadata URL could not be used: {reason}. Use the App Federation Metadata Url from the Entra enterprise app's SAML page.")


def _too_large() -> SsoError:
    return SsoError("invalid_metadata", "The metadata URL answered more than 1 MiB; use the App Federation Metadata Url from the Entra enterprise app's SAML page.")
