"""Entra's Test Connection (a userName filter on a random guid) is one Table Storage round trip:
the directory record and the index row are read by one query (counted at the SDK's transport)."""
from __future__ import annotations

import uuid


def test_test_connection_is_one_storage_round_trip(stack, new_directory, monkeypatch):
    from azure.core.pipeline.transport import RequestsTransport

    directory = new_directory()
    assert directory.scim.get("/Users").status_code == 200  # warm: table client created
    storage = stack.storage_connection_string.split("TableEndpoint=")[1].split("/devstoreaccount1")[0]
    sent = []
    original = RequestsTransport.send

    def counting(self, request, **kwargs):
        if request.url.startswith(storage):
            sent.append(request.url)
        return original(self, request, **kwargs)

    monkeypatch.setattr(RequestsTransport, "send", counting)
    response = directory.scim.get(f'/Users?filter=userName eq "{uuid.uuid4()}"')
    assert response.status_code == 200 and response.json()["totalResults"] == 0
    assert len(sent) == 1, sent
