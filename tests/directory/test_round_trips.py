"""Entra's Test Connection (a userName filter on a random guid) is one Table Storage round trip:
the directory record and the index row are read by one query. Counted at both of this process's
storage clients (tests/directory/storage_count.py), so no request is missed."""
from __future__ import annotations

import uuid

from tests.directory.storage_count import storage_requests


def test_test_connection_is_one_storage_round_trip(stack, new_directory):
    directory = new_directory()
    assert directory.scim.get("/Users").status_code == 200  # warm: table client created
    with storage_requests(stack) as sent:
        response = directory.scim.get(f'/Users?filter=userName eq "{uuid.uuid4()}"')
    assert response.status_code == 200 and response.json()["totalResults"] == 0
    assert len(sent) == 1, sent
