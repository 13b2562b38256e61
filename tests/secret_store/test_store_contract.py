"""What the service relies on, whichever store is configured."""
from __future__ import annotations

import base64
import os
from datetime import datetime, timedelta, timezone

import pytest

from shared.secret_store import Secret, SecretNotFound
from shared.secret_store.store import MAX_TAGS, MAX_VALUE_BYTES

NAME = "conn_ab12cd34/client-secret"
VALUE = "Xq8~a-client-secret-value"
PEM = "-----BEGIN PRIVATE KEY-----\n" + base64.encodebytes(os.urandom(1218)).decode() + "-----END PRIVATE KEY-----\n"


def test_round_trip(store):
    written = store.set_secret(NAME, "first value")
    read = store.get_secret(NAME)

    assert read.value == "first value"
    assert read.version == written
    assert written.name == NAME and written.enabled and written.expires_on is None
    assert written.created_on.tzinfo is not None


def test_a_pem_private_key_round_trips_exactly(store):
    store.set_secret("conn_ab12cd34/certificate-key", PEM)
    assert store.get_secret("conn_ab12cd34/certificate-key").value == PEM


def test_each_set_is_a_new_current_version_and_earlier_ones_stay_readable(store):
    first = store.set_secret(NAME, "old secret")
    second = store.set_secret(NAME, "new secret")

    assert first.version_id != second.version_id
    assert store.get_secret(NAME).value == "new secret"
    assert store.get_secret(NAME, first.version_id).value == "old secret"
    assert [v.version_id for v in store.list_versions(NAME)] == [second.version_id, first.version_id]


def test_rollback_is_setting_the_previous_value_again(store):
    first = store.set_secret(NAME, "old secret")
    store.set_secret(NAME, "new secret")

    restored = store.set_secret(NAME, store.get_secret(NAME, first.version_id).value)

    assert store.get_secret(NAME).value == "old secret"
    assert store.list_versions(NAME)[0] == restored


def test_expiry_and_tags_are_kept_per_version(store):
    expires = datetime(2027, 3, 31, 23, 59, 59, 750000, tzinfo=timezone(timedelta(hours=2)))
    written = store.set_secret(NAME, "value", expires_on=expires, tags={"connection": "conn_ab12cd34"})

    (listed,) = store.list_versions(NAME)
    assert listed == written == store.get_secret(NAME).version
    assert listed.expires_on == expires.replace(microsecond=0)  # whole seconds, as Key Vault keeps them
    assert dict(listed.tags) == {"connection": "conn_ab12cd34"}
    with pytest.raises(TypeError):
        listed.tags["connection"] = "changed"


def test_names_differing_only_in_case_are_different_secrets(store):
    store.set_secret("conn_AB/client-secret", "upper")
    store.set_secret("conn_ab/client-secret", "lower")
    assert store.get_secret("conn_AB/client-secret").value == "upper"


def test_missing_secret_or_version(store):
    with pytest.raises(SecretNotFound):
        store.get_secret(NAME)
    store.set_secret(NAME, "value")
    with pytest.raises(SecretNotFound) as raised:
        store.get_secret(NAME, "0123456789abcdef0123456789abcdef")
    assert raised.value.version_id == "0123456789abcdef0123456789abcdef"
    assert store.list_versions("conn_other/client-secret") == []


def test_delete_removes_every_version_and_is_idempotent(store):
    first = store.set_secret(NAME, "one")
    store.set_secret(NAME, "two")
    store.set_secret("conn_other/client-secret", "kept")

    store.delete_secret(NAME)
    store.delete_secret(NAME)

    assert store.list_versions(NAME) == []
    with pytest.raises(SecretNotFound):
        store.get_secret(NAME, first.version_id)
    assert store.get_secret("conn_other/client-secret").value == "kept"


def test_a_secret_object_never_shows_its_value():
    secret = Secret(value="s3cr3t-value", version=None)
    assert "s3cr3t-value" not in repr(secret)
    assert "s3cr3t-value" not in str(secret)
    assert "s3cr3t-value" not in f"{secret}"


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.set_secret("conn ab/client-secret", "value"),
        lambda s: s.get_secret("conn_ab//client-secret"),
        lambda s: s.list_versions(""),
        lambda s: s.delete_secret("/conn_ab"),
    ],
)
def test_invalid_names_are_refused(store, call):
    with pytest.raises(ValueError):
        call(store)


@pytest.mark.parametrize(
    "kwargs, problem",
    [
        ({"value": ""}, "non-empty"),
        ({"value": "é" * (MAX_VALUE_BYTES // 2 + 1)}, "at most"),
        ({"value": VALUE, "expires_on": datetime(2027, 1, 1)}, "timezone-aware"),
        ({"value": VALUE, "tags": {f"t{i}": "x" for i in range(MAX_TAGS + 1)}}, "at most"),
        ({"value": VALUE, "tags": {"t": 1}}, "strings"),
    ],
)
def test_writes_key_vault_would_refuse_are_refused_without_echoing_the_value(store, kwargs, problem):
    with pytest.raises(ValueError, match=problem) as raised:
        store.set_secret(NAME, **kwargs)
    if kwargs["value"]:
        assert kwargs["value"] not in str(raised.value)
    assert store.list_versions(NAME) == []
