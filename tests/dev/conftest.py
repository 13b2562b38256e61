"""One scripts/dev launcher for the tests of tests/dev that only use it (the SIGTERM test starts
its own): free ports, a state directory of its own, stopped with SIGTERM at the end."""
from __future__ import annotations

import pytest
import requests

from tests.dev.launcher import free_ports, launch, wait_until_up


@pytest.fixture(scope="session")
def dev(tmp_path_factory):
    run = launch(tmp_path_factory.mktemp("dev") / "state", free_ports())
    try:
        yield wait_until_up(run)
    finally:
        run.stop()


class Http(requests.Session):
    """Ignores the machine's proxy and CA settings; follows no redirect."""

    def __init__(self, verify=True, headers: dict | None = None):
        super().__init__()
        self.trust_env = False
        self.verify = verify
        self.headers.update(headers or {})

    def request(self, method, url, **kwargs):
        kwargs["allow_redirects"] = False  # Session.get would default it to True
        kwargs.setdefault("timeout", 30)
        return super().request(method, url, **kwargs)


@pytest.fixture
def admin_api(dev) -> Http:
    return Http(headers={"Authorization": f"Bearer {dev.info['bootstrap_key']}"})
