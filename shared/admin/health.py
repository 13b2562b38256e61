"""Reachability of the stamp's dependencies, for GET /api/health."""
from __future__ import annotations

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


def _secret_store_ok() -> bool:
    try:
        secret_store.get_secret_store().list_versions("health-probe")
        return True
    except SsoError:
        return False


def check_dependencies() -> dict[str, bool]:
    return {"storage": _storage_ok(), "secret_store": _secret_store_ok()}
