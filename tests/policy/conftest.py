"""A real DNS server on loopback (dnslib, UDP, a free port) whose TXT records the tests control,
and helpers to make orgs, connections and verified domains for the policy tests."""
from __future__ import annotations

import os
import secrets
import threading
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest
from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class Zone(BaseResolver):
    """TXT records by name; names in `servfail` answer SERVFAIL. Anything else is NXDOMAIN."""

    def __init__(self):
        self._lock = threading.Lock()
        self._txt: dict[str, list] = {}
        self._servfail: set[str] = set()
        self.queries: list[str] = []

    def publish(self, name: str, *values) -> None:
        """Each value is a string, or a list of strings (one record split into several strings)."""
        with self._lock:
            self._txt.setdefault(name.lower().rstrip("."), []).extend(values)

    def clear(self, name: str) -> None:
        with self._lock:
            self._txt.pop(name.lower().rstrip("."), None)

    def servfail(self, name: str) -> None:
        with self._lock:
            self._servfail.add(name.lower().rstrip("."))

    def resolve(self, request, handler):
        reply = request.reply()
        qname = str(request.q.qname).lower().rstrip(".")
        with self._lock:
            self.queries.append(qname)
            if qname in self._servfail:
                reply.header.rcode = RCODE.SERVFAIL
                return reply
            values = list(self._txt.get(qname, ()))
        if not values:
            reply.header.rcode = RCODE.NXDOMAIN
        elif request.q.qtype == QTYPE.TXT:
            for value in values:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(value), ttl=60))
        return reply


@contextmanager
def dns_resolver_setting(value: str | None):
    """Points SSO_DNS_RESOLVER at `value` (None: unset) for the block; settings are read once, so
    the cache is cleared on the way in and out."""
    from shared.platform.settings import get_settings

    saved = os.environ.get("SSO_DNS_RESOLVER")
    if value is None:
        os.environ.pop("SSO_DNS_RESOLVER", None)
    else:
        os.environ["SSO_DNS_RESOLVER"] = value
    get_settings.cache_clear()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SSO_DNS_RESOLVER", None)
        else:
            os.environ["SSO_DNS_RESOLVER"] = saved
        get_settings.cache_clear()


@pytest.fixture(scope="session")
def dns_zone(stack):
    zone = Zone()
    server = DNSServer(zone, address="127.0.0.1", port=0, logger=DNSLogger(logf=lambda *args: None))
    server.start_thread()
    port = server.server.server_address[1]
    with dns_resolver_setting(f"127.0.0.1:{port}"):
        yield zone
    server.stop()
    server.server.server_close()


def unique_domain(label: str = "corp") -> str:
    return f"{label}-{secrets.token_hex(4)}.example.test"


@pytest.fixture
def verified_domain(admin, dns_zone):
    """Claims `domain` for `org`, publishes its TXT record and verifies it; returns the domain."""

    def verify(org: str, domain: str | None = None) -> str:
        domain = domain or unique_domain()
        claimed = admin.post(f"/api/organizations/{org}/domains", json={"domain": domain})
        assert claimed.status_code == 201, claimed.text
        record = claimed.json()["txt_record"]
        dns_zone.publish(record["name"], record["value"])
        verified = admin.post(f"/api/organizations/{org}/domains/{domain}/verify")
        assert verified.status_code == 200, verified.text
        return domain

    return verify


@pytest.fixture
def connection(stack):
    """Stores a connection record for `org` directly (the policy code reads only its id,
    organization, enabled, domains and created)."""
    from shared.orgs import connections
    from shared.orgs.records import Connection

    def create(org: str, *, enabled: bool = True, domains: list[str] | None = None) -> str:
        connection_id = connections.new_id()
        now = datetime.now(timezone.utc).isoformat(timespec="microseconds")
        connections.insert(Connection(
            id=connection_id, organization=org, protocol="oidc", display_name="Entra", enabled=enabled,
            domains=domains or [], entra_tenant_id="72f988bf-86f1-41af-91ab-2d7cd011db47",
            client_id="00000000-0000-0000-0000-000000000001", created=now, updated=now,
        ))
        return connection_id

    return create


@pytest.fixture
def org_key(admin, stack):
    """An API client holding a key scoped to `org`."""
    from tests.conftest import ApiClient

    def make(org: str) -> ApiClient:
        created = admin.post("/api/api-keys", json={"organization": org, "name": "policy-test"})
        assert created.status_code == 201, created.text
        return ApiClient(stack.base_url, created.json()["key"])

    return make
