"""scim2-tester (PyPI) against the dev host: every check it makes for the features the
directory's /ServiceProviderConfig announces must pass."""
from __future__ import annotations

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def test_scim2_tester_passes_every_check(new_directory):
    directory = new_directory()
    with Client(base_url=directory.base, headers={"Authorization": f"Bearer {directory.token}"}, trust_env=False, timeout=60) as http:
        client = SyncSCIMClient(http)
        client.discover()
        results = check_server(client)
    failed = [f"{r.title}: {r.reason}" for r in results if r.status not in (Status.SUCCESS, Status.SKIPPED)]
    assert results and not failed, "\n".join(failed)
    assert sum(r.status == Status.SUCCESS for r in results) >= 20
