"""GET /api/microsoft-sign-in/events: the audit trail of sign-ins that belong to no organization
(ok, failed with the reason, redirected) and of the setting's changes; global key only, a cursor
list like an organization's events."""
from __future__ import annotations

from tests.conftest import ApiClient
from tests.flows.helpers import ADELE
from tests.shared_app.test_microsoft_sign_in import PAT, _error, _profile, _sign_in

ROUTE = "/api/microsoft-sign-in/events"


def _newest(admin, kind: str) -> dict:
    answer = admin.get(ROUTE)
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == {"items", "next"}
    return next(e for e in answer.json()["items"] if e["type"] == kind)


def test_a_sign_in_is_recorded_with_the_user(stack, admin, browser, microsoft):
    microsoft("common")
    profile = _profile(stack, _sign_in(browser, stack, ADELE))
    event = _newest(admin, "sign_in")
    assert event["outcome"] == "ok" and event["connection"] == "microsoft" and event["error"] is None
    assert event["detail"]["user"] == profile["id"] and event["detail"]["entra_tenant_id"] == profile["entra_tenant_id"]


def test_a_refused_sign_in_is_recorded_with_its_reason(stack, admin, browser, microsoft):
    microsoft("organizations")
    assert _error(_sign_in(browser, stack, PAT, authority="common")) == "personal_account_not_allowed"
    event = _newest(admin, "sign_in")
    assert event["outcome"] == "failed" and event["error"] == "personal_account_not_allowed"
    assert "work or school account" in event["detail"]["message"]


def test_every_change_of_the_setting_is_recorded(admin, microsoft):
    microsoft("common")
    microsoft("consumers")
    event = _newest(admin, "microsoft_sign_in.updated")
    assert event["detail"]["fields"] == ["tenant_type"] and event["detail"]["tenant_type"] == "consumers"
    assert event["detail"]["enabled"] is True


def test_the_list_pages_with_its_cursor(admin, microsoft):
    microsoft("common")
    microsoft("organizations")
    first = admin.get(ROUTE, params={"limit": 1}).json()
    assert len(first["items"]) == 1 and first["next"]
    second = admin.get(ROUTE, params={"limit": 1, "cursor": first["next"]}).json()
    assert len(second["items"]) == 1 and second["items"][0]["id"] != first["items"][0]["id"]
    assert second["items"][0]["time"] <= first["items"][0]["time"]  # newest first
    refused = admin.get(ROUTE, params={"cursor": "not-a-cursor"})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"


def test_only_the_global_key_reads_them(stack, admin, new_org, microsoft):
    microsoft("common")
    org = new_org()
    key = admin.post("/api/api-keys", json={"organization": org, "name": "k"}).json()["key"]
    refused = ApiClient(stack.base_url, key).get(ROUTE)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert ApiClient(stack.base_url, None).get(ROUTE).status_code == 401
    assert admin.get("/api/organizations/~microsoft/events").status_code in (400, 404)  # not an organization's trail
