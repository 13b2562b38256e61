"""The stack's storage requests, counted by local/storage_count.py (both of this process's clients)."""
from __future__ import annotations

from local import storage_count


def storage_requests(stack):
    """The requests sent to the stack's Azurite meanwhile, as "METHOD target" strings."""
    return storage_count.storage_requests(stack.storage_connection_string)
