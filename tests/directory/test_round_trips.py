"""Entra's Test Connection (a userName filter on a random guid) is one Table Storage round trip:
the directory record and the index row are read by one query. Counted at http.client, which the
storage SDK and shared/storage/table_rest.py both go through, so no client's request is missed."""
from __future__ import annotations

import http.client
import uuid


def test_test_connection_is_one_storage_round_trip(stack, new_directory, monkeypatch):
    directory = new_directory()
    assert directory.scim.get("/Users").status_code == 200  # warm: table client created
    storage_port = int(stack.storage_connection_string.split("TableEndpoint=http://127.0.0.1:")[1].split("/")[0])
    sent = []
    original = http.client.HTTPConnection.putrequest

    def counting(self, method, url, *args, **kwargs):
        if self.port == storage_port:
            sent.append(f"{method} {url}")
        return original(self, method, url, *args, **kwargs)

    monkeypatch.setattr(http.client.HTTPConnection, "putrequest", counting)
    response = directory.scim.get(f'/Users?filter=userName eq "{uuid.uuid4()}"')
    assert response.status_code == 200 and response.json()["totalResults"] == 0
    assert len(sent) == 1, sent
