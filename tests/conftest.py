"""The real parts for integration tests: Azurite (in memory), the Entra simulator, and the dev host
serving function_app's handlers in this process. Started once per test session, on first use."""
from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.azurite import free_port, start_azurite

BOOTSTRAP_KEY = "test-bootstrap-" + secrets.token_urlsafe(32)


class SecretWatch(logging.Handler):
    """Keeps every log record of the run, at every level, and every secret the tests handled
    (keys, client secrets, codes, SAML responses); the run fails if any secret was logged."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.secrets: set[str] = {BOOTSTRAP_KEY}
        self.test_client_origin = "\0"  # the dev host's origin, once the stack is up

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            # urllib3's lines about the tests' own requests to the dev host (a browser's URL
            # carries Entra's code) are the test client's log, not the service's.
            if not (record.name == "urllib3.connectionpool" and line.startswith(self.test_client_origin)):
                self.lines.append(line)
        except Exception:  # a record that cannot format is not ours to judge
            pass

    def remember(self, *values) -> None:
        # One character repeated ("a" * 1000, a garbage code a test sends) carries no secret, and
        # the fuzz puts such runs in logged URL paths.
        self.secrets.update(v for v in values if isinstance(v, str) and len(v) >= 12 and len(set(v)) > 1)

    def remember_exchange(self, kwargs: dict, response) -> None:
        """Harvests secrets from a request the tests sent and the response they got."""
        body = kwargs.get("json") if isinstance(kwargs.get("json"), dict) else kwargs.get("data") if isinstance(kwargs.get("data"), dict) else {}
        self.remember(body.get("client_secret"), body.get("SAMLResponse"), body.get("code"))
        location = response.headers.get("Location", "")
        self.remember(*parse_qs(urlsplit(location).query).get("code", []))
        if "application/json" in response.headers.get("Content-Type", ""):
            try:
                data = response.json()
            except ValueError:
                return
            if isinstance(data, dict):
                self.remember(data.get("key"), data.get("notification_webhook_secret"))

    def leaks(self) -> list[str]:
        found = []
        for secret in self.secrets:
            line = next((line for line in self.lines if secret in line), None)
            if line:
                found.append(f"{secret[:6]}... in: {line.replace(secret, '<SECRET>')[:300]}")
        return sorted(found)


SECRET_WATCH = SecretWatch()


class OffMachineConnection(OSError):
    """A test tried to connect outside this machine; the suite only ever talks to loopback."""


def _guard_connect(original):
    def connect(sock, address, *args):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
            try:
                outside = not ipaddress.ip_address(address[0].split("%")[0]).is_loopback
            except ValueError:  # a name: socket resolves it itself; refuse, the suite connects by address
                outside = True
            if outside:
                raise OffMachineConnection(f"refused by the test guard: connection to {address[0]} (not loopback)")
        return original(sock, address, *args)

    return connect


def pytest_configure(config):
    # Every test talks to loopback only (Azurite, the simulator, dev hosts, receivers). A rule
    # under test that is broken (e.g. an SSRF check removed) must fail here, not reach the network.
    socket.socket.connect = _guard_connect(socket.socket.connect)
    socket.socket.connect_ex = _guard_connect(socket.socket.connect_ex)
    root = logging.getLogger()
    root.addHandler(SECRET_WATCH)
    root.setLevel(logging.DEBUG)


def pytest_sessionfinish(session, exitstatus):
    leaks = SECRET_WATCH.leaks()
    if leaks:
        print(f"\nSECRETS FOUND IN LOGS ({len(SECRET_WATCH.lines)} records scanned): {leaks}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@dataclass
class Stack:
    base_url: str
    bootstrap_key: str
    storage_connection_string: str
    simulator: object


class ApiClient(requests.Session):
    """requests against the dev host, with a base URL and an API key; trusts no env CA settings."""

    def __init__(self, base_url: str, key: str | None):
        super().__init__()
        self.trust_env = False
        self.base_url = base_url
        if key:
            self.headers["Authorization"] = f"Bearer {key}"

    def request(self, method, url, **kwargs):
        kwargs["allow_redirects"] = False  # Session.get would default it to True
        kwargs.setdefault("timeout", 30)
        response = super().request(method, url if url.startswith("http") else self.base_url + url, **kwargs)
        SECRET_WATCH.remember_exchange(kwargs, response)
        return response


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    from local.entra_sim import start_simulator
    from shared.platform.settings import get_settings
    from shared.storage import tables

    azurite = start_azurite()
    state_dir = tmp_path_factory.mktemp("entra-sim")
    simulator = start_simulator(state_dir=str(state_dir))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    SECRET_WATCH.test_client_origin = base_url
    env = {
        "SSO_REGION": "eu",
        "SSO_PUBLIC_BASE_URL": base_url,
        "SSO_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "SSO_LOCAL_SECRET_STORE_PATH": str(tmp_path_factory.mktemp("secrets") / "secrets.json"),
        "SSO_LOCAL_SECRET_STORE_KEY": secrets.token_urlsafe(32),
        "SSO_BOOTSTRAP_API_KEY": BOOTSTRAP_KEY,
        "SSO_ENTRA_AUTHORITY_HOST": simulator.authority,
        "SSO_CA_BUNDLE": simulator.ca_bundle,
        "SSO_ALLOW_LOOPBACK_METADATA": "true",
    }
    from local.entra_sim.shared_app import register_shared_app
    env.update(register_shared_app(simulator, base_url))  # the stamp's own multi-tenant app (issue 15)
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    get_settings.cache_clear()
    tables.reset_clients()

    import function_app
    from local.devhost import make_server

    server = make_server("127.0.0.1", port, function_app.app, BOOTSTRAP_KEY)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Stack(base_url, BOOTSTRAP_KEY, azurite.connection_string, simulator)
    server.shutdown()
    simulator.stop()
    azurite.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()
    tables.reset_clients()


@pytest.fixture
def admin(stack) -> ApiClient:
    """A client holding the global (bootstrap) key."""
    return ApiClient(stack.base_url, stack.bootstrap_key)


@pytest.fixture
def anonymous(stack) -> ApiClient:
    return ApiClient(stack.base_url, None)


@pytest.fixture
def new_org(admin):
    """Creates a fresh organization; returns its slug."""

    def create(**fields) -> str:
        slug = fields.pop("id", None) or "org-" + secrets.token_hex(5)
        body = {"id": slug, "name": f"Org {slug}", "redirect_uris": ["https://app.example.com/callback"], **fields}
        response = admin.post("/api/organizations", json=body)
        assert response.status_code == 201, response.text
        return slug

    return create


@pytest.fixture
def browser(stack):
    """A browser-like session for sign-ins: trusts the Entra simulator's CA, follows no redirect."""
    from tests.flows.helpers import Browser  # helpers import this module

    return Browser(stack.simulator.ca_bundle)
