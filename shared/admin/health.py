"""Reachability of the stamp's dependencies, for GET /api/health."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from shared import secret_store
from shared.platform.errors import SsoError
from shared.storage import tables


def _storage_ok() -> bool:
    """Reachable and holding every table: a missing one (storage came back empty) is created
    again here, and storage is reported unavailable only if that fails."""
    try:
        tables.ensure_tables()
        return True
    except SsoError:
        return False


# Anyone may call health, and each probe of Key Vault is a transaction counted against the
# vault's service limits: a flood of probes could get the vault to throttle the secret reads
# that sign-ins need. So an instance probes a store at most once in this many seconds, one probe
# at a time, and every health answer meanwhile shares the last one.
SECRET_STORE_PROBE_SECONDS = 10.0
_probe_lock = threading.Lock()


@dataclass(frozen=True)
class _Probe:
    store: object
    at: float  # time.monotonic()
    reachable: bool


_last_probe: _Probe | None = None


def _secret_store_ok() -> bool:
    global _last_probe
    store = secret_store.get_secret_store()
    with _probe_lock:
        last = _last_probe
        if last is not None and last.store is store and time.monotonic() - last.at < SECRET_STORE_PROBE_SECONDS:
            return last.reachable
        try:
            store.list_versions("health-probe")
            reachable = True
        except SsoError:
            reachable = False
        _last_probe = _Probe(store, time.monotonic(), reachable)
        return reachable


def check_dependencies() -> dict[str, bool]:
    return {"storage": _storage_ok(), "secret_store": _secret_store_ok()}
