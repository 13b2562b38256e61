"""Storage that comes back without its tables (a new account, Azurite restarted in memory): the
first writes create them again, at once and without a process restart, and health agrees."""
from __future__ import annotations

import secrets

import pytest

from local.azurite import start_azurite
from tests.concurrency.racing import race, statuses
from tests.flows.helpers import APP_REDIRECT, create_oidc_connection, register_oidc_app


@pytest.fixture
def own_azurite(stack, monkeypatch):
    """The dev host on an Azurite of its own, which the test may restart (losing everything)."""
    from shared.platform.settings import get_settings
    from shared.storage import tables

    holder = {"azurite": start_azurite()}
    monkeypatch.setenv("SSO_STORAGE_CONNECTION_STRING", holder["azurite"].connection_string)
    get_settings.cache_clear()
    tables.reset_clients()

    def restart() -> None:
        port = holder["azurite"].port
        holder["azurite"].stop()
        holder["azurite"] = start_azurite(port)

    yield restart
    holder["azurite"].stop()
    monkeypatch.undo()
    get_settings.cache_clear()
    tables.reset_clients()


def _org(slug: str) -> dict:
    return {"id": slug, "name": f"Org {slug}", "redirect_uris": [APP_REDIRECT]}


def _table_names() -> set[str]:
    from azure.data.tables import TableServiceClient

    from shared.platform.settings import get_settings

    with TableServiceClient.from_connection_string(get_settings().storage_connection_string) as service:
        return {t.name for t in service.list_tables()}


def test_writes_to_every_table_recover_after_the_tables_are_lost(stack, admin, own_azurite):
    assert admin.post("/api/organizations", json=_org("before-" + secrets.token_hex(4))).status_code == 201
    own_azurite()  # everything is gone, the tables too; this process still holds its table clients
    assert _table_names() == set()

    slugs = [f"after-{i}-{secrets.token_hex(3)}" for i in range(20)]
    created = race(stack, lambda i, s: s.post("/api/organizations", json=_org(slugs[i])), key=stack.bootstrap_key)
    assert statuses(created) == {201: 20}, [r.text[:200] for r in created if r.status_code != 201][:2]

    org = slugs[0]
    assert admin.post("/api/api-keys", json={"organization": org, "name": "k"}).status_code == 201
    assert admin.post(f"/api/organizations/{org}/domains", json={"domain": f"d{secrets.token_hex(4)}.example.test"}).status_code == 201
    connection = create_oidc_connection(admin, org, register_oidc_app(stack))
    started = admin.get("/auth/sso/start", params={"connection": connection["id"], "redirect_uri": APP_REDIRECT, "state": "s"})
    assert started.status_code == 302, started.text[:300]
    assert admin.get(f"/api/organizations/{org}/events").status_code == 200


def test_health_recreates_lost_tables_and_says_ok_only_when_they_exist(stack, anonymous, own_azurite):
    from shared.storage import tables

    assert anonymous.get("/api/health").status_code == 200
    own_azurite()
    assert _table_names() == set()
    health = anonymous.get("/api/health")
    assert (health.status_code, health.json()["status"]) == (200, "ok")
    assert _table_names() == set(tables.TABLES)
