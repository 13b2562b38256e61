"""The local development store: encryption at rest, the key setting, files and threads."""
from __future__ import annotations

import json
import os
import stat
import threading

import pytest

from shared.platform.errors import SsoError
from shared.secret_store.local import LocalSecretStore
from tests.secret_store.conftest import LOCAL_KEY

NAME = "conn_ab12cd34/client-secret"
VALUE = "Xq8~a-client-secret-in-plain-text"


def _file_bytes(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def test_values_survive_a_new_store_on_the_same_file(local_store, local_path):
    written = local_store.set_secret(NAME, VALUE)
    reopened = LocalSecretStore(local_path, LOCAL_KEY)
    assert reopened.get_secret(NAME).value == VALUE
    assert reopened.list_versions(NAME) == [written]


def test_the_file_never_holds_a_value_in_plain_text(local_store, local_path):
    local_store.set_secret(NAME, VALUE)
    local_store.set_secret(NAME, VALUE + " rotated")
    content = _file_bytes(local_path)
    assert VALUE.encode() not in content
    assert LOCAL_KEY.encode() not in content


def test_the_file_is_readable_by_its_owner_only(local_store, local_path):
    local_store.set_secret(NAME, VALUE)
    assert stat.S_IMODE(os.stat(local_path).st_mode) == 0o600


def test_another_key_can_neither_read_nor_write(local_store, local_path):
    local_store.set_secret(NAME, VALUE)
    before = _file_bytes(local_path)
    intruder = LocalSecretStore(local_path, "not the key the file was made with")

    attempts = (
        lambda: intruder.get_secret(NAME),
        lambda: intruder.get_secret("conn_unknown/client-secret"),
        lambda: intruder.list_versions(NAME),
        lambda: intruder.set_secret(NAME, "a version under another key"),
        lambda: intruder.delete_secret(NAME),
    )
    for attempt in attempts:
        with pytest.raises(SsoError) as raised:
            attempt()
        assert raised.value.code == "secret_store_unavailable"
        assert "SSO_LOCAL_SECRET_STORE_KEY" in raised.value.message
    assert _file_bytes(local_path) == before


def test_a_ciphertext_moved_to_another_entry_does_not_decrypt_there(local_store, local_path):
    local_store.set_secret("conn_victim/client-secret", "victim's secret")
    local_store.set_secret("conn_attacker/client-secret", "attacker's secret")
    with open(local_path, encoding="utf-8") as file:
        data = json.load(file)
    secrets = data["secrets"]
    secrets["conn_attacker/client-secret"][0]["ciphertext"] = secrets["conn_victim/client-secret"][0]["ciphertext"]
    with open(local_path, "w", encoding="utf-8") as file:
        json.dump(data, file)

    with pytest.raises(SsoError) as raised:
        local_store.get_secret("conn_attacker/client-secret")
    assert raised.value.code == "secret_store_unavailable"


def test_concurrent_writers_lose_no_version(local_path):
    # Two store objects on one path, as two modules of one process might hold.
    stores = [LocalSecretStore(local_path, LOCAL_KEY) for _ in range(2)]
    stores[0].set_secret("conn_warmup/client-secret", "derive the key once")
    stores[1].get_secret("conn_warmup/client-secret")
    start = threading.Barrier(8)

    def write(worker: int) -> None:
        start.wait()
        for i in range(10):
            stores[worker % 2].set_secret(NAME, f"worker {worker} write {i}")

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    versions = stores[0].list_versions(NAME)
    assert len(versions) == 80
    values = {stores[1].get_secret(NAME, v.version_id).value for v in versions}
    assert values == {f"worker {w} write {i}" for w in range(8) for i in range(10)}


def test_a_failed_write_leaves_the_previous_file_and_no_temporary_file(local_store, local_path, monkeypatch):
    local_store.set_secret(NAME, VALUE)
    before = _file_bytes(local_path)

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(SsoError) as raised:
        local_store.set_secret(NAME, "never stored")

    assert raised.value.code == "secret_store_unavailable"
    assert _file_bytes(local_path) == before
    assert os.listdir(os.path.dirname(local_path)) == ["secrets.json"]


def test_a_file_that_is_not_a_secret_store_is_reported_by_path(local_store, local_path):
    os.makedirs(os.path.dirname(local_path))
    with open(local_path, "w", encoding="utf-8") as file:
        file.write("{not json")
    with pytest.raises(SsoError) as raised:
        local_store.get_secret(NAME)
    assert raised.value.code == "secret_store_unavailable"
    assert local_path in raised.value.message
