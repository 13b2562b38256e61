"""Storage unreachable: a clear 503 with a stable code, nothing half-written; and every error
carries a correlation id the user can quote."""
from __future__ import annotations

import pytest

from local.azurite import free_port


@pytest.fixture
def dead_storage(stack, monkeypatch):
    from shared.platform.settings import get_settings
    from shared.storage import tables

    monkeypatch.setenv("SSO_STORAGE_CONNECTION_STRING", stack.storage_connection_string.replace(
        stack.storage_connection_string.split("TableEndpoint=")[1].split("/devstoreaccount1")[0], f"http://127.0.0.1:{free_port()}"))
    get_settings.cache_clear()
    tables.reset_clients()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()
    tables.reset_clients()


def test_admin_api_answers_503_when_storage_is_down(admin, dead_storage):
    response = admin.post("/api/organizations", json={"id": "during-outage", "name": "x", "redirect_uris": ["https://a.example/cb"]})
    assert (response.status_code, response.json()["error"]) == (503, "storage_unavailable")
    assert "Traceback" not in response.text


def test_a_listing_answers_503_when_storage_is_down(admin, dead_storage):
    """Listings page through the SDK (tables.query_page), not table_rest: its errors map too."""
    response = admin.get("/api/organizations")
    assert (response.status_code, response.json()["error"]) == (503, "storage_unavailable")
    assert "Traceback" not in response.text


def test_health_reports_storage_down_without_details(anonymous, dead_storage):
    response = anonymous.get("/api/health")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"storage": "unavailable", "secret_store": "ok"}}


def test_sign_in_start_answers_503_when_storage_is_down(anonymous, dead_storage):
    response = anonymous.get("/auth/sso/start", params={"organization": "any-org", "redirect_uri": "https://a.example/cb"})
    assert response.status_code == 503 and "storage_unavailable" in response.text


def test_nothing_half_written_after_an_outage(admin, dead_storage, monkeypatch):
    admin.post("/api/organizations", json={"id": "during-outage-2", "name": "x", "redirect_uris": ["https://a.example/cb"]})
    monkeypatch.undo()
    from shared.platform.settings import get_settings
    from shared.storage import tables

    get_settings.cache_clear()
    tables.reset_clients()
    assert admin.get("/api/organizations/during-outage-2").status_code == 404


def test_error_pages_carry_the_correlation_id(anonymous):
    response = anonymous.get("/auth/sso/start", params={"organization": "no-such-org", "redirect_uri": "https://a.example/cb"})
    correlation_id = response.headers["X-Correlation-Id"]
    assert len(correlation_id) == 16 and correlation_id in response.text
