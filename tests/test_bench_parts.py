"""bench/parts.py: the tally the sign-in bench's --parts prints counts what it says it counts."""
from __future__ import annotations

import sys
import types

from bench.parts import Part, cpu_by_part


def _burn(n: int) -> int:
    return sum(i * i for i in range(n))


class Worker:
    def method(self, n: int) -> int:
        return _burn(n)

    @classmethod
    def kind(cls, n: int) -> int:
        return _burn(n)

    @staticmethod
    def plain(n: int) -> int:
        return _burn(n)


def _recursive(depth: int) -> int:
    return _burn(1000) if depth == 0 else sys.modules["scratch"].recursive(depth - 1)  # through the wrapper


def test_each_kind_of_function_is_timed_and_restored():
    module = types.ModuleType("scratch")
    module.recursive = _recursive
    sys.modules["scratch"] = module
    originals = (Worker.__dict__["method"], Worker.__dict__["kind"], Worker.__dict__["plain"], module.recursive)
    parts = [Part("method", Worker, "method"), Part("classmethod", Worker, "kind"), Part("staticmethod", Worker, "plain"),
             Part("recursive", module, "recursive")]
    try:
        with cpu_by_part(parts) as tally:
            assert Worker().method(200_000) == Worker.kind(200_000) == Worker.plain(200_000) == _burn(200_000)
            module.recursive(5)
    finally:
        del sys.modules["scratch"]
    assert all(tally.seconds[label] > 0 for label in ("method", "classmethod", "staticmethod", "recursive")), tally
    assert tally.calls == {"method": 1, "classmethod": 1, "staticmethod": 1, "recursive": 1}  # a recursion counts once
    assert (Worker.__dict__["method"], Worker.__dict__["kind"], Worker.__dict__["plain"], module.recursive) == originals
