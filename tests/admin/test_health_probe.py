"""GET /api/health probes the secret store at most once per SECRET_STORE_PROBE_SECONDS per
instance: anonymous callers must not be able to spend the vault's transactions."""
from __future__ import annotations

import threading

import pytest

from shared import secret_store
from shared.admin import health
from shared.platform.errors import SsoError
from tests.concurrency.racing import RACERS, race, statuses


@pytest.fixture
def probes(stack, monkeypatch):
    """Counts the secret store's list_versions calls; `fail` makes them fail."""
    store = secret_store.get_secret_store()
    real = store.list_versions
    state = {"calls": 0, "fail": False}
    lock = threading.Lock()

    def counting(name):
        with lock:
            state["calls"] += 1
        if state["fail"]:
            raise SsoError("secret_store_unavailable")
        return real(name)

    monkeypatch.setattr(store, "list_versions", counting)
    monkeypatch.setattr(health, "_last_probe", None)
    return state


def test_twenty_simultaneous_health_calls_probe_the_store_once(stack, probes):
    answers = race(stack, lambda i, session: session.get("/api/health"))
    assert statuses(answers) == {200: RACERS}, [a.text for a in answers if a.status_code != 200][:1]
    assert probes["calls"] == 1
    assert all(a.json()["checks"]["secret_store"] == "ok" for a in answers)


def test_a_failed_probe_is_reported_and_probed_again_once_it_is_old(anonymous, probes, monkeypatch):
    probes["fail"] = True
    first = anonymous.get("/api/health")
    assert (first.status_code, first.json()["checks"]["secret_store"]) == (503, "unavailable")
    probes["fail"] = False
    assert anonymous.get("/api/health").status_code == 503  # the last probe's answer, for its seconds
    assert probes["calls"] == 1
    monkeypatch.setattr(health, "SECRET_STORE_PROBE_SECONDS", 0.0)
    assert anonymous.get("/api/health").status_code == 200
    assert probes["calls"] == 2
