"""One scripts/dev per state directory (.local/): an exclusive lock on `.local/lock`, taken before
anything in the directory is touched and held until exit, so a second scripts/dev neither deletes
nor overwrites the running one's files (its secrets, CA, DNS records)."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

LOCK_FILE = "lock"


class Held(Exception):
    """Another process holds the lock; the message says who and what to do."""


class Lock:
    def __init__(self, fd: int):
        self._fd = fd

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing drops the flock
            self._fd = -1


def acquire(state_dir: Path, owner: dict) -> Lock:
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(state_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)  # no O_TRUNC: the holder's pid stays readable
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
        except ValueError:
            holder = {}
        os.close(fd)
        raise Held(f"another scripts/dev (pid {holder.get('pid', '?')}) is running with {state_dir} and keeps its files "
                   f"there; stop it first (Ctrl-C in its terminal), or run this one with --state-dir DIR and other ports "
                   f"(it uses {', '.join(f'{k} {v}' for k, v in holder.get('ports', {}).items()) or 'its own ports'})") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(owner).encode(), 0)
    return Lock(fd)


def clear_except_lock(state_dir: Path) -> None:
    """The last run's files (only ever called with the lock held)."""
    for entry in state_dir.iterdir():
        if entry.name == LOCK_FILE:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
