"""Routing entries: simultaneous PUTs of one org's route each get one clear answer, and one stands."""
from __future__ import annotations

import secrets

import pytest

from tests.concurrency.racing import no_server_errors, race, statuses

URLS = {"us": "https://identity.us.example.com", "au": "https://identity.au.example.com"}


@pytest.fixture
def region_urls(monkeypatch):
    from shared.platform.settings import get_settings

    monkeypatch.setenv("SSO_REGION_URLS", '{"us": "%s", "au": "%s"}' % (URLS["us"], URLS["au"]))
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_twenty_simultaneous_route_puts_all_succeed_and_one_stands(stack, admin, region_urls):
    slug = "routed-" + secrets.token_hex(4)  # no entry yet: the first racers race to create it
    regions = ["us" if i % 2 else "au" for i in range(20)]
    responses = race(stack, lambda i, s: s.put(f"/api/organization-routes/{slug}", json={"region": regions[i]}), key=stack.bootstrap_key)
    no_server_errors(responses)
    assert statuses(responses) == {200: 20}
    assert [r.json()["region"] for r in responses] == regions
    where = admin.get(f"/api/organizations/{slug}")
    assert where.status_code == 307 and where.headers["Location"] in {f"{url}/api/organizations/{slug}" for url in URLS.values()}
