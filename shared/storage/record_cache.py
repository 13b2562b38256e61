"""A short in-process cache of records read on the sign-in path.

Each instance sees its own writes at once (writers call `remember` or `forget`); other
instances' writes show after at most `ttl` seconds. Absent records are cached too, so an
unknown id does not cost a storage round trip per request.
"""
from __future__ import annotations

import time
from typing import Callable, Generic, Hashable, TypeVar

T = TypeVar("T")


class RecordCache(Generic[T]):
    def __init__(self, ttl_seconds: float):
        self._ttl = ttl_seconds
        self._entries: dict[Hashable, tuple[float, T | None]] = {}

    def remember(self, key: Hashable, value: T | None) -> T | None:
        self._entries[key] = (time.monotonic(), value)
        return value

    def forget(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def get(self, key: Hashable, load: Callable[[Hashable], T | None]) -> T | None:
        """The cached value while fresh, else `load(key)`, remembered."""
        entry = self._entries.get(key)
        if entry and time.monotonic() - entry[0] < self._ttl:
            return entry[1]
        return self.remember(key, load(key))
