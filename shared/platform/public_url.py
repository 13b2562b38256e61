"""The address rules for every URL an admin gives us that the stamp then calls (SAML metadata URLs,
notification webhooks), and the one way to call one. Both users go through here, so the rules
cannot drift apart.

Such a URL is a server-side request forgery vector, hence:
- https only; plain http only to loopback, and loopback at all only in development
  (SSO_ALLOW_LOOPBACK_METADATA);
- no credentials in the URL, no control characters, a real port, a host name or an IP address
  written in its standard form (the resolver also takes `2130706433`, `0177.0.0.1`, `127.1`:
  refused rather than guessed at), `localhost` and `*.localhost` counted as loopback whatever
  the resolver says;
- the name is resolved and EVERY address must be public: no private (10/8, 172.16/12,
  192.168/16, fc00::/7), link-local (169.254/16 with the cloud metadata endpoint, fe80::/10),
  loopback, shared (100.64/10), reserved, multicast or unspecified address, IPv4 addresses
  hidden in IPv6 (mapped, compatible, 6to4, NAT64) judged as the IPv4 address they carry;
- `call` connects to the address that was checked (TLS still verifies the certificate against
  the host name), so a second DNS answer cannot rebind it to an internal address; redirects are
  never followed; one deadline for the whole exchange, not per read; the body is capped.

`check` is the save-time test; `call` checks again on every use, because a name may resolve
differently by then (and the loopback setting may have changed).
"""
from __future__ import annotations

import functools
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
import urllib3.connection
from urllib3.util.ssl_match_hostname import CertificateError

from shared.platform.outbound import trust_file

MAX_URL_LENGTH = 2048
_CHUNK = 64 * 1024
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_CONTROL = re.compile(r"[\x00-\x20\x7f\\]")
ALLOWED = ("a public https URL (no credentials in it; its host must not be or resolve to a private, loopback, "
           "link-local or reserved address)")
ALLOWED_IN_DEVELOPMENT = ALLOWED + "; in development also http or https on loopback"


class Refused(Exception):
    """The URL breaks an address rule; `reason` says which, for the admin (nothing was sent)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Failed(Exception):
    """The URL passed the rules but the exchange failed; `reason` says how."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TooLarge(Failed):
    pass


@dataclass(frozen=True)
class Target:
    scheme: str
    hostname: str
    port: int
    path: str  # path and query, as sent on the request line
    host_header: str


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict
    body: bytes


def allowed(allow_loopback: bool) -> str:
    """What may be given, in words for an error message."""
    return ALLOWED_IN_DEVELOPMENT if allow_loopback else ALLOWED


def parse(url, *, allow_loopback: bool) -> Target:
    """The rules that need no DNS; Refused otherwise."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH or _CONTROL.search(url):
        raise Refused("it is not a URL of at most 2048 characters without spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("its port or host is malformed") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Refused("it is not an https URL")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise Refused("it carries credentials (user:password@); put them nowhere, the payload is signed")
    if port == 0:
        raise Refused("its port is 0")
    hostname = parts.hostname.rstrip(".")
    literal = _literal(hostname)
    if literal is None and _looks_numeric(hostname):
        raise Refused("its host is an IP address in a non-standard form; write it as a.b.c.d")
    if literal is not None:
        problem = address_problem(literal, allow_loopback)
        if problem:
            raise Refused(problem)
    elif _loopback_name(hostname) and not allow_loopback:
        raise Refused("its host is a loopback name")
    if parts.scheme == "http" and not allow_loopback:
        raise Refused("it is plain http (allowed only to loopback in development)")
    port = port or (443 if parts.scheme == "https" else 80)
    bracketed = f"[{hostname}]" if ":" in hostname else hostname
    default_port = port == (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, hostname, port, path, bracketed if default_port else f"{bracketed}:{port}")


def resolve(target: Target, *, allow_loopback: bool) -> str:
    """Resolves the host once; every address must pass (loopback: only when allowed). Returns
    the address to connect to."""
    try:
        infos = socket.getaddrinfo(target.hostname, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise Refused("its host name does not resolve") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise Refused("its host name does not resolve")
    for address in addresses:
        problem = address_problem(address, allow_loopback)
        if problem:
            raise Refused(problem)
    if target.scheme == "http" and not all(_carried(a).is_loopback for a in addresses):
        raise Refused("it is plain http (allowed only to loopback in development)")
    if _loopback_name(target.hostname) and not all(_carried(a).is_loopback for a in addresses):
        raise Refused("its host is a loopback name that resolves elsewhere")
    return str(addresses[0])


def check(url, *, allow_loopback: bool, unresolved_ok: bool = False) -> Target:
    """Save-time test: the static rules, then the addresses the name resolves to now. With
    `unresolved_ok`, a name that does not resolve yet passes (it is checked again on use)."""
    target = parse(url, allow_loopback=allow_loopback)
    try:
        resolve(target, allow_loopback=allow_loopback)
    except Refused as refused:
        if not (unresolved_ok and target.scheme == "https" and refused.reason == "its host name does not resolve"):
            raise  # plain http must be seen to reach loopback
    return target


def address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_loopback: bool) -> str | None:
    """Why the stamp must not connect to `address`, or None."""
    carried = _carried(address)
    if carried.is_loopback and allow_loopback:
        return None
    if carried.is_loopback:
        return "its host is or resolves to a loopback address"
    if carried.is_link_local:
        return "its host is or resolves to a link-local address (such as the cloud metadata endpoint)"
    if carried.is_private or carried.is_reserved or carried.is_multicast or carried.is_unspecified or not carried.is_global:
        return "its host is or resolves to a private, reserved or otherwise non-public address"
    if carried is not address and (address.is_private or not address.is_global):
        return "its host is or resolves to a non-public address"
    return None


def _carried(address):
    """The IPv4 address an IPv6 address stands for (mapped, compatible, 6to4, NAT64), else itself."""
    if address.version == 4:
        return address
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _literal(hostname: str):
    try:
        return ipaddress.ip_address(hostname)
    except ValueError:
        return None


def _looks_numeric(hostname: str) -> bool:
    """What inet_aton would take as an IPv4 address (decimal, octal, hex, fewer than 4 parts)."""
    last = hostname.rsplit(".", 1)[-1].lower()
    if re.fullmatch(r"[0-9]+|0x[0-9a-f]*", last):
        return True  # no top-level domain is numeric: only an address would end so
    try:
        socket.inet_aton(hostname)
        return True
    except (OSError, ValueError, UnicodeError):
        return False


def _loopback_name(hostname: str) -> bool:
    lowered = hostname.lower()
    return lowered == "localhost" or lowered.endswith(".localhost")


# -- the call ----------------------------------------------------------------------------------

def call(method: str, url: str, *, allow_loopback: bool, ca_bundle: str | None, headers: dict, body: bytes | None = None,
         timeout: float, max_bytes: int) -> Answer:
    """One request to `url` after the rules passed again, pinned to the checked address, no
    redirects followed (a 3xx is just the answer). Refused (nothing sent) or Failed. The body
    of a 2xx is read up to `max_bytes` (0: not read)."""
    deadline = time.monotonic() + timeout
    target = parse(url, allow_loopback=allow_loopback)
    address = resolve(target, allow_loopback=allow_loopback)
    connection = _pinned_connection(target, address, ca_bundle, timeout)
    expired = threading.Event()
    try:
        connection.connect()
        watchdog = threading.Timer(max(deadline - time.monotonic(), 0), _cut, (connection.sock, expired))
        watchdog.start()  # one deadline for the whole exchange: per-read timeouts let a trickle go on for ever
        try:
            connection.request(method, target.path, body=body, headers={"Host": target.host_header, "Accept-Encoding": "identity", **headers},
                               preload_content=False, decode_content=False)
            response = connection.getresponse()
            wanted = max_bytes > 0 and 200 <= response.status < 300
            return Answer(response.status, dict(response.headers), _body(response, max_bytes) if wanted else b"")
        finally:
            watchdog.cancel()
    except (urllib3.exceptions.HTTPError, OSError, http.client.HTTPException, CertificateError) as error:
        raise Failed("it did not answer in time" if expired.is_set() else _reason(error)) from None
    finally:
        connection.close()


def _cut(sock: socket.socket | None, expired: threading.Event) -> None:
    """Ends a blocked read from the watchdog thread (shutdown wakes it; close would not)."""
    expired.set()
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed: the exchange finished as the deadline came


def _pinned_connection(target: Target, address: str, ca_bundle: str | None, timeout: float):
    """A connection to the checked address; TLS checks the certificate against the host name."""
    if target.scheme == "http":
        return urllib3.connection.HTTPConnection(address, target.port, timeout=timeout)
    return urllib3.connection.HTTPSConnection(address, target.port, timeout=timeout, server_hostname=target.hostname,
                                              assert_hostname=target.hostname, ssl_context=_tls_context(ca_bundle))


@functools.lru_cache(maxsize=4)
def _tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """The trust every outbound call has (shared/platform/outbound.py): certifi's roots plus SSO_CA_BUNDLE."""
    return ssl.create_default_context(cafile=trust_file(ca_bundle))


def _body(response, max_bytes: int) -> bytes:
    if response.headers.get("Content-Encoding", "identity").lower() != "identity":
        raise Failed("it answered with a compressed body we did not ask for")
    if int(response.headers.get("Content-Length") or 0) > max_bytes:
        raise TooLarge(f"it answered more than {max_bytes} bytes")
    chunks, size = [], 0
    while chunk := response.read1(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"it answered more than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _reason(error: Exception) -> str:
    # urllib3's NewConnectionError subclasses its TimeoutError: a refused connection is not slow.
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        return "the connection was refused or the host is unreachable"
    if isinstance(error, (urllib3.exceptions.TimeoutError, TimeoutError)):
        return "it did not answer in time"
    if isinstance(error, (ssl.SSLError, CertificateError)):
        return "its TLS certificate is not valid for the host"
    return "the connection failed"
