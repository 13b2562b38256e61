"""Counting the requests this process sends to Table Storage: at http.client (the storage SDK's
transport) and at shared/platform/http1's connections (table_rest), so no client is missed."""
from __future__ import annotations

import http.client
from contextlib import contextmanager


@contextmanager
def storage_requests(stack):
    """The requests sent to the stack's Azurite meanwhile, as "METHOD target" strings."""
    from shared.platform import http1

    port = int(stack.storage_connection_string.split("TableEndpoint=http://127.0.0.1:")[1].split("/")[0])
    sent: list[str] = []
    putrequest, exchange = http.client.HTTPConnection.putrequest, http1.Connection.exchange

    def counting_sdk(self, method, url, *args, **kwargs):
        if self.port == port:
            sent.append(f"{method} {url}")
        return putrequest(self, method, url, *args, **kwargs)

    def counting_lean(self, method, target, *args, **kwargs):
        if self._host.endswith(f":{port}"):
            sent.append(f"{method} {target}")
        return exchange(self, method, target, *args, **kwargs)

    http.client.HTTPConnection.putrequest, http1.Connection.exchange = counting_sdk, counting_lean
    try:
        yield sent
    finally:
        http.client.HTTPConnection.putrequest, http1.Connection.exchange = putrequest, exchange
