"""Entra's Test Connection (a userName filter on a random guid) costs two point reads, sent at
once: the directory record and the index row. Never a query: one ORing the two RowKeys would be
a single request but a scan of the directory's whole partition in Table Storage. Counted at both
of this process's storage clients (tests/directory/storage_count.py), so no request is missed."""
from __future__ import annotations

import uuid

from tests.directory.storage_count import storage_requests


def test_test_connection_is_two_point_reads_and_no_query(stack, new_directory):
    directory = new_directory()
    assert directory.scim.get("/Users").status_code == 200  # warm: table client created
    with storage_requests(stack) as sent:
        response = directory.scim.get(f'/Users?filter=userName eq "{uuid.uuid4()}"')
    assert response.status_code == 200 and response.json()["totalResults"] == 0
    assert len(sent) == 2, sent
    assert all(request.startswith("GET ") and "(PartitionKey=" in request and "$filter" not in request for request in sent), sent
