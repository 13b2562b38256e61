"""Key Vault specifics, through the real SDK pipeline against the fake vault's REST API."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.exceptions import ServiceRequestError

from shared.platform.errors import SsoError
from shared.secret_store.keyvault import KeyVaultSecretStore
from tests.secret_store.fake_key_vault import RESOURCE, TENANT_ID, FakeCredential

NAME = "conn_ab12cd34/client-secret"
VAULT_NAME = "sso-conn-uab12cd34--client-hsecret"
VALUE = "Xq8~client.secret-value-that-must-not-leak"


def test_first_request_is_challenged_and_the_token_follows_the_challenge(keyvault_store, vault, credential):
    keyvault_store.set_secret(NAME, VALUE)

    challenged, authorized = vault.requests
    assert (challenged.method, challenged.authorization, challenged.body) == ("PUT", None, None)  # no value before auth
    assert credential.requests == [((f"{RESOURCE}/.default",), TENANT_ID)]
    assert authorized.authorization == "Bearer fake-access-token"
    assert authorized.body["value"] == VALUE


def test_set_sends_key_vaults_request_shape(keyvault_store, vault):
    expires = datetime(2027, 3, 31, 23, 59, 59, tzinfo=timezone.utc)
    keyvault_store.set_secret(NAME, VALUE, expires_on=expires, tags={"connection": "conn_ab12cd34"})

    put = vault.requests[-1]
    assert put.path == f"/secrets/{VAULT_NAME}"
    assert put.query["api-version"]
    assert put.body == {"value": VALUE, "attributes": {"exp": int(expires.timestamp())}, "tags": {"connection": "conn_ab12cd34"}}


def test_lists_every_version_across_pages(vault, credential):
    vault.page_size = 2
    store = KeyVaultSecretStore(vault.vault_url, credential=credential, transport=vault)
    written = [store.set_secret(NAME, f"value {i}").version_id for i in range(5)]

    assert [v.version_id for v in store.list_versions(NAME)] == written[::-1]
    assert sum("$skiptoken" in r.query for r in vault.requests) == 2  # followed nextLink twice


def test_delete_does_not_wait_for_the_soft_delete_to_finish(keyvault_store, vault):
    keyvault_store.set_secret(NAME, VALUE)
    keyvault_store.delete_secret(NAME)

    assert [r.method for r in vault.requests][-1] == "DELETE"  # no polling of /deletedsecrets
    assert keyvault_store.list_versions(NAME) == []


@pytest.mark.parametrize("status", [429, 500, 503])
def test_throttling_and_server_errors_after_retries_make_the_store_unavailable(keyvault_store, vault, status):
    keyvault_store.set_secret(NAME, "warm up the challenge cache")
    vault.fail_with = status
    before = len(vault.requests)

    with pytest.raises(SsoError) as raised:
        keyvault_store.get_secret(NAME)

    assert raised.value.code == "secret_store_unavailable"
    assert len(vault.requests) - before == 3  # the first try and the two retries the client allows


@pytest.mark.parametrize(
    "failure",
    [ServiceRequestError("Failed to establish a new connection: [Errno 111] Connection refused"), ConnectionError("connection reset")],
    ids=["sdk-connection-error", "builtin-connection-error"],
)
def test_connection_failures_make_the_store_unavailable(keyvault_store, vault, failure):
    vault.raise_on_send = failure
    with pytest.raises(SsoError) as raised:
        keyvault_store.set_secret(NAME, VALUE)
    assert raised.value.code == "secret_store_unavailable"


def test_no_credential_makes_the_store_unavailable(vault):
    store = KeyVaultSecretStore(vault.vault_url, credential=FakeCredential(unavailable=True), transport=vault)
    with pytest.raises(SsoError) as raised:
        store.get_secret(NAME)
    assert raised.value.code == "secret_store_unavailable"
    assert "managed identity" in raised.value.message


def test_access_denied_makes_the_store_unavailable_and_says_which_role_to_grant(keyvault_store, vault):
    vault.fail_with = 403
    with pytest.raises(SsoError) as raised:
        keyvault_store.get_secret(NAME)
    assert raised.value.code == "secret_store_unavailable"
    assert "Key Vault Secrets Officer" in raised.value.message


def test_a_failed_write_does_not_put_the_value_in_any_error_message(keyvault_store, vault):
    keyvault_store.set_secret(NAME, "warm up the challenge cache")
    vault.fail_with = 503
    with pytest.raises(SsoError) as raised:
        keyvault_store.set_secret(NAME, VALUE)

    chain, error = [], raised.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert len(chain) > 1  # the SDK's error is kept as the cause, for diagnosis
    assert all(VALUE not in f"{e} {e!r}" for e in chain)


def test_the_value_never_reaches_the_logs(keyvault_store, caplog):
    caplog.set_level(logging.DEBUG)
    version = keyvault_store.set_secret(NAME, VALUE, expires_on=datetime.now(timezone.utc) + timedelta(days=1))
    keyvault_store.get_secret(NAME)
    keyvault_store.get_secret(NAME, version.version_id)

    assert "azure" in caplog.text  # the SDK did log its requests...
    assert VALUE not in caplog.text  # ...but never the body
