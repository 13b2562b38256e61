"""Measuring a call's rate for the benchmarks."""
from __future__ import annotations

import time
from typing import Callable


def rate(call: Callable[[], object], seconds: float, batch: int = 100) -> float:
    """Calls per second of `call`, run in batches (so the clock is read rarely) for `seconds`."""
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(batch):
            call()
        count += batch
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)
