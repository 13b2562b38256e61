"""Counting the requests this process sends to a local Azurite, for the benchmarks' and tests'
round-trip figures: at http.client (the storage SDK's transport) and at shared/platform/http1's
connections (table_rest), so no client is missed. BENCH_TRACE=1 prints each one as it goes."""
from __future__ import annotations

import http.client
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


def azurite_port(connection_string: str) -> int:
    return int(connection_string.split("TableEndpoint=http://127.0.0.1:")[1].split("/")[0])


@contextmanager
def storage_requests(connection_string: str) -> Iterator[list[str]]:
    """The requests sent meanwhile to the Azurite of `connection_string`, as "METHOD target"
    strings (the list fills as they are sent; clear it to start counting again)."""
    from shared.platform import http1

    port = azurite_port(connection_string)
    sent: list[str] = []
    putrequest, exchange = http.client.HTTPConnection.putrequest, http1.Connection.exchange

    def record(method: str, target: str) -> None:
        sent.append(f"{method} {target}")
        if os.environ.get("BENCH_TRACE"):
            print("   storage:", method, target.split("?")[0][-90:], file=sys.stderr)

    def counting_sdk(self, method, url, *args, **kwargs):
        if self.port == port:
            record(method, url)
        return putrequest(self, method, url, *args, **kwargs)

    def counting_lean(self, method, target, *args, **kwargs):
        if self._host.endswith(f":{port}"):
            record(method, target)
        return exchange(self, method, target, *args, **kwargs)

    http.client.HTTPConnection.putrequest, http1.Connection.exchange = counting_sdk, counting_lean
    try:
        yield sent
    finally:
        http.client.HTTPConnection.putrequest, http1.Connection.exchange = putrequest, exchange
