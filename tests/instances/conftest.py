"""Host B for the tests across instances (see hosts.py)."""
from __future__ import annotations

import pytest

from tests.instances.hosts import start_other_host


@pytest.fixture(scope="session")
def host_b(stack):
    """Host B: the same stamp as the in-process host A (same public URL, storage, secrets)."""
    host = start_other_host(stack)
    yield host
    host.stop()
