"""Region pinning: an org lives on the stamp that created it; other stamps answer 404, or 307
to the right stamp when a routing entry and SSO_REGION_URLS say where it lives."""
from __future__ import annotations

import pytest

US = "https://identity.us.example.com"


@pytest.fixture
def region_urls(monkeypatch):
    from shared.platform.settings import get_settings

    monkeypatch.setenv("SSO_REGION_URLS", f'{{"us": "{US}"}}')
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_org_created_here_lives_in_this_region(admin, new_org):
    assert admin.get(f"/api/organizations/{new_org()}").json()["region"] == "eu"


def test_unknown_org_is_404_without_a_routing_entry(anonymous, region_urls):
    start = anonymous.get("/auth/sso/start", params={"organization": "nowhere-org", "redirect_uri": "https://a.example/cb"},
                          headers={"Accept": "application/json"})
    assert (start.status_code, start.json()["error"]) == (404, "unknown_organization")


def test_routed_org_is_a_307_to_its_stamp(admin, anonymous, region_urls):
    assert admin.put("/api/organization-routes/us-customer", json={"region": "us"}).status_code == 200
    start = anonymous.get("/auth/sso/start", params={"organization": "us-customer", "redirect_uri": "https://a.example/cb", "state": "x"})
    assert start.status_code == 307
    assert start.headers["Location"] == f"{US}/auth/sso/start?organization=us-customer&redirect_uri=https%3A%2F%2Fa.example%2Fcb&state=x"
    api = admin.get("/api/organizations/us-customer")
    assert api.status_code == 307 and api.headers["Location"] == f"{US}/api/organizations/us-customer"


def test_routing_entries_need_the_global_key_and_a_known_region(stack, admin, new_org):
    from tests.conftest import ApiClient

    key = admin.post("/api/api-keys", json={"organization": new_org(), "name": "k"}).json()["key"]
    assert ApiClient(stack.base_url, key).put("/api/organization-routes/x-org", json={"region": "us"}).status_code == 403
    assert admin.put("/api/organization-routes/x-org", json={"region": "mars"}).json()["error"] == "invalid_field"
    assert admin.put("/api/organization-routes/x-org", json={"region": "eu"}).json()["error"] == "invalid_field"
