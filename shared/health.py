"""Reachability of the stamp's dependencies, for GET /api/health."""
from __future__ import annotations

from shared.errors import SsoError
from shared.storage import tables


def _storage_ok() -> bool:
    try:
        tables.get("organizations", "health-probe", "organization")
        return True
    except SsoError:
        return False


def check_dependencies() -> dict[str, bool]:
    return {"storage": _storage_ok()}
