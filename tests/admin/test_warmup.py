"""An instance's warm-up: the tables exist before any request, and the OIDC connections' MSAL
app, discovery and signing keys are ready; the sign-in path then creates no table itself."""
from __future__ import annotations

import http.client

import azure.functions as func
import pytest

from local.azurite import start_azurite
from shared.admin.warmup import warm_instance
from shared.storage import tables
from tests.lifecycle.helpers import oidc_setup, sign_in


@pytest.fixture
def empty_storage(stack, monkeypatch):
    """The process pointed at an Azurite of its own, with no table yet (a new deployment)."""
    from shared.platform.settings import get_settings

    azurite = start_azurite()
    monkeypatch.setenv("SSO_STORAGE_CONNECTION_STRING", azurite.connection_string)
    get_settings.cache_clear()
    tables.reset_clients()
    yield azurite
    azurite.stop()
    monkeypatch.undo()
    get_settings.cache_clear()
    tables.reset_clients()


def test_warm_up_creates_every_table(empty_storage):
    from azure.data.tables import TableServiceClient

    result = warm_instance()
    with TableServiceClient.from_connection_string(empty_storage.connection_string) as service:
        assert {t.name for t in service.list_tables()} == set(tables.TABLES)
    assert result["storage"] and result["secret_store"]


def test_warm_up_readies_each_oidc_connection(stack, admin, new_org, monkeypatch):
    from shared.oidc import discovery, entra_client, jwks
    from shared.orgs import connections
    from shared.orgs.credentials import registration

    setup = oidc_setup(stack, admin, new_org)
    apps, keys = entra_client.AppCache(), jwks.JwksCache()
    monkeypatch.setattr(entra_client, "_apps", apps)  # as in a new instance: nothing built yet
    monkeypatch.setattr(jwks, "_default", keys)
    monkeypatch.setattr("shared.admin.warmup.WARM_CONNECTIONS", 10_000)  # this run's connection among them
    warm_instance()
    connection = connections.get(setup.connection["id"]).doc
    reg = registration(connection)
    assert (reg.connection_id, reg.credential_version) in {(key[0], key[1]) for key in apps._apps}
    jwks_uri = discovery.provider_metadata(connection.entra_tenant_id).jwks_uri
    assert keys._sets[jwks_uri].fetched_at is not None and keys._sets[jwks_uri].keys
    assert sign_in(stack, setup)["organization"] == setup.org  # and the warmed app signs users in


def test_the_sign_in_path_creates_no_table(stack, admin, new_org, monkeypatch):
    """Before, each instance's first request to each table created it (one more round trip per
    table); now tables come from the warm-up, and an operation creates one only if missing."""
    setup = oidc_setup(stack, admin, new_org)
    tables.reset_clients()  # a new instance's clients
    created = []
    original = http.client.HTTPConnection.putrequest

    def watching(self, method, url, *args, **kwargs):
        if method == "POST" and url.split("?")[0].endswith("/Tables"):
            created.append(url)
        return original(self, method, url, *args, **kwargs)

    monkeypatch.setattr(http.client.HTTPConnection, "putrequest", watching)
    sign_in(stack, setup)
    assert created == []


def test_the_dev_host_runs_warmup_triggers_before_serving():
    from local.devhost import make_server

    app, ran = func.FunctionApp(), []

    @app.warm_up_trigger(arg_name="warmup")
    def warmup(warmup) -> None:
        ran.append(warmup)

    server = make_server("127.0.0.1", 0, app, "key", warm_up=True)
    server.server_close()
    assert len(ran) == 1


def test_a_connection_that_cannot_be_warmed_never_stops_the_start(stack, admin, new_org, monkeypatch):
    """A second instance may see connections whose secrets it cannot read (another store, a
    secret deleted under it): warm-up skips them; the request that needs one reports it."""
    from shared.secret_store.store import SecretNotFound

    oidc_setup(stack, admin, new_org)
    monkeypatch.setattr("shared.admin.warmup.WARM_CONNECTIONS", 10_000)

    def gone(connection):
        raise SecretNotFound("conn_x/client-secret", "v1")

    monkeypatch.setattr("shared.admin.warmup.registration", gone)
    result = warm_instance()
    assert result["connections_failed"] >= 1 and result["connections_warmed"] == 0
