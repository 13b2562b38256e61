"""A DNS server on loopback for the domain races (the policy tests' Zone), for one test at a time:
the setting is put back afterwards, so it never takes over from the policy tests' own server."""
from __future__ import annotations

import pytest
from dnslib.server import DNSLogger, DNSServer

from tests.policy.conftest import Zone, dns_resolver_setting


@pytest.fixture
def dns_zone(stack):
    zone = Zone()
    server = DNSServer(zone, address="127.0.0.1", port=0, logger=DNSLogger(logf=lambda *args: None))
    server.start_thread()
    with dns_resolver_setting(f"127.0.0.1:{server.server.server_address[1]}"):
        yield zone
    server.stop()
    server.server.server_close()
