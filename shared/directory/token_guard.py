"""Secret Token guard rows: how a SCIM write that reads nothing first (Entra's POST /Users and
POST /Groups, half of a provisioning cycle) skips reading the directory record, and a revoked or
rotated token still stops working at once.

A guarded directory's partition holds one row per token it accepts: `tk_<hash>` for the current
token, `tg_<hash>` for the previous one during its grace period. They are created and deleted in
the same transaction as the record change that issues or revokes the token (creation, rotation),
and deleted with the directory. An instance that fully authenticated a token (record read, hash
compared in constant time) remembers (directory, token hash) -> (record, guard row, until when).
A later write with the same token uses that record and adds one operation to its own
transaction: an update of the guard row with If-Match `*`, which fails when the row is gone, so
the write happens only if the token is still accepted at that moment, on every instance. A
failed check drops the entry and the request authenticates again by reading the record (401 if
the token was revoked). Expiry and the end of a grace period are times in the remembered record,
checked on every use. Directories created before guard rows (no `token_guards`) are read on
every request, as before, until their next token.
"""
from __future__ import annotations

import contextvars
import threading
from datetime import datetime

from shared.directory.records import Directory
from shared.storage import tables

CURRENT, PREVIOUS = "tk_", "tg_"
_DOC = {"kind": "scim-token-guard"}
MAX_ENTRIES = 10_000

_lock = threading.Lock()
_verified: dict[tuple[str, str], tuple[Directory, str, datetime]] = {}
# The guard row this request's writes must find (None: the record was read, nothing to add).
_scope: contextvars.ContextVar[tuple[str, str, str] | None] = contextvars.ContextVar("scim_token_guard", default=None)


def _op_create(row_key: str) -> tables.Op:
    return tables.Op("create", row_key, _DOC)


def creation_ops(directory: Directory) -> list[tables.Op]:
    """The guard row of a new directory's first token."""
    return [_op_create(CURRENT + directory.token_hash)]


def rotation_ops(old: Directory, new: Directory) -> list[tables.Op]:
    """The guard rows changed by a new token: the old current row goes (to `tg_` while its grace
    lasts), the older previous one goes, the new token's row comes."""
    ops = [_op_create(CURRENT + new.token_hash)]
    if new.previous_token_hash:
        ops.append(_op_create(PREVIOUS + new.previous_token_hash))
    if old.token_guards:  # only a guarded directory has rows to delete (a delete of a missing row fails the batch)
        ops.append(tables.Op("delete", CURRENT + old.token_hash))
        if old.previous_token_hash:
            ops.append(tables.Op("delete", PREVIOUS + old.previous_token_hash))
    return ops


def begin() -> None:
    """A new request: no guard until a cached authentication sets one."""
    _scope.set(None)


def remember(directory: Directory, presented_hash: str, previous: bool, valid_until: datetime) -> None:
    """After a full authentication of a guarded directory's token."""
    if not directory.token_guards:
        return
    with _lock:
        if len(_verified) >= MAX_ENTRIES:
            _verified.clear()
        _verified[(directory.id, presented_hash)] = (directory, (PREVIOUS if previous else CURRENT) + presented_hash, valid_until)


def cached(directory_id: str, presented_hash: str, now: datetime) -> Directory | None:
    """The remembered record for this token while its time lasts; its writes are then guarded."""
    entry = _verified.get((directory_id, presented_hash))
    if entry is None or now >= entry[2]:
        return None
    _scope.set((directory_id, presented_hash, entry[1]))
    return entry[0]


def guarded() -> bool:
    return _scope.get() is not None


def forget_current() -> None:
    """The guard failed: drop the entry this request used."""
    scope = _scope.get()
    _scope.set(None)
    if scope is not None:
        with _lock:
            _verified.pop(scope[:2], None)


def transact(directory_id: str, ops: list[tables.Op]) -> dict[str, str]:
    """tables.transact on the directory's partition, plus the guard check when this request's
    directory came from the cache (EtagMismatch when the token is no longer accepted)."""
    scope = _scope.get()
    if scope is not None and scope[0] == directory_id:
        ops = [*ops, tables.Op("update", scope[2], _DOC, etag="*")]
    return tables.transact("directories", directory_id, ops)
