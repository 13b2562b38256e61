"""The secret store for development: one JSON file, every value encrypted at rest.

File: {"format": 1, "salt": b64, "key_check": b64, "secrets": {name: [version, ...oldest first]}}.
A version is {"version_id", "created_on", "expires_on", "enabled", "tags", "ciphertext"}; only
"ciphertext" is secret, the rest is metadata, as in Key Vault.

Encryption: AES-256-GCM, a fresh 96-bit nonce per value, and the secret's name and version as
associated data, so a ciphertext moved to another entry of the file fails to decrypt rather than
being served as that entry's value. The key comes from SSO_LOCAL_SECRET_STORE_KEY through scrypt
with a random per-file salt: the setting is a string a developer picked, with no guaranteed
entropy, which rules out HKDF (sound only for already-random key material); scrypt makes each
guess against a leaked file cost memory and time. It runs once per store, about 0.1 s.
"key_check" is a value encrypted under the file's key when the file is made: a different key
fails to authenticate it and is refused before it can read anything, or write a version that
the file's own key could not read.

One process owns the file: every read-modify-write holds a lock shared by all stores on that
path in the process (threads never lose each other's versions, however many store objects there
are), and writes land atomically (temp file + os.replace), so a crash never leaves half a file.
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
import tempfile
import threading
import uuid
from datetime import datetime, timezone
from typing import Any, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from shared.platform.errors import SsoError
from shared.secret_store.names import validate_name
from shared.secret_store.store import Secret, SecretNotFound, SecretVersion, validate_write

FORMAT = 1
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1  # 32 MiB of memory per guess
_KEY_CHECK = b"entra-sso local secret store"
_NONCE_BYTES = 12

_path_locks: dict[str, threading.Lock] = {}
_path_locks_guard = threading.Lock()


def _lock_for(path: str) -> threading.Lock:
    with _path_locks_guard:
        return _path_locks.setdefault(os.path.realpath(path), threading.Lock())


class LocalSecretStore:
    def __init__(self, path: str, key: str):
        self._path = path
        self._key_setting = key
        self._cipher: tuple[bytes, AESGCM] | None = None  # (salt, cipher): scrypt runs once per salt
        self._lock = _lock_for(path)

    def set_secret(
        self, name: str, value: str, *, expires_on: datetime | None = None, tags: Mapping[str, str] | None = None
    ) -> SecretVersion:
        tags = validate_write(name, value, expires_on, tags)
        with self._lock:
            data, cipher = self._open(create=True)
            version_id = uuid.uuid4().hex  # the shape of a Key Vault version id
            entry = {
                "version_id": version_id,
                "created_on": _timestamp(datetime.now(timezone.utc)),
                "expires_on": _timestamp(expires_on) if expires_on else None,
                "enabled": True,
                "tags": tags,
                "ciphertext": _encrypt(cipher, value.encode("utf-8"), _aad(name, version_id)),
            }
            data["secrets"].setdefault(name, []).append(entry)
            self._save(data)
        return _version(name, entry)

    def get_secret(self, name: str, version_id: str | None = None) -> Secret:
        validate_name(name)
        with self._lock:
            data, cipher = self._open()
            entries = data["secrets"].get(name, [])
            matches = [e for e in entries if e["version_id"] == version_id] if version_id else entries[-1:]
            if not matches:
                raise SecretNotFound(name, version_id)
            entry = matches[0]
            try:
                plaintext = _decrypt(cipher, entry["ciphertext"], _aad(name, entry["version_id"]))
            except InvalidTag:
                raise _unavailable(f"version {entry['version_id']} of {name!r} in {self._path} fails authentication (edited or moved)") from None
        return Secret(value=plaintext.decode("utf-8"), version=_version(name, entry))

    def list_versions(self, name: str) -> list[SecretVersion]:
        validate_name(name)
        with self._lock:
            entries = self._open()[0]["secrets"].get(name, [])
        return [_version(name, entry) for entry in reversed(entries)]

    def delete_secret(self, name: str) -> None:
        validate_name(name)
        with self._lock:
            data, _ = self._open()
            if data["secrets"].pop(name, None) is not None:
                self._save(data)

    def _open(self, create: bool = False) -> tuple[dict[str, Any], AESGCM | None]:
        """The file's content and cipher, once the key is proven to be the file's: a wrong key is
        refused by every operation, even one that needs no decryption. Without a file: an empty
        store, or a new one when `create`."""
        data = self._load()
        if data is None:
            if not create:
                return {"secrets": {}}, None
            data = self._new_file()
        return data, self._unlock(data)

    def _new_file(self) -> dict[str, Any]:
        salt = os.urandom(16)
        cipher = AESGCM(self._derive(salt))
        self._cipher = (salt, cipher)
        return {"format": FORMAT, "salt": _b64(salt), "key_check": _encrypt(cipher, _KEY_CHECK, b"key_check"), "secrets": {}}

    def _unlock(self, data: dict[str, Any]) -> AESGCM:
        """The cipher for this file's key, after proving SSO_LOCAL_SECRET_STORE_KEY is that key."""
        salt = base64.b64decode(data["salt"])
        if self._cipher is None or self._cipher[0] != salt:
            cipher = AESGCM(self._derive(salt))
            try:
                _decrypt(cipher, data["key_check"], b"key_check")
            except InvalidTag:
                raise _unavailable(
                    f"{self._path} was created with another key than SSO_LOCAL_SECRET_STORE_KEY; "
                    "set the key it was created with, or delete the file to start afresh"
                ) from None
            self._cipher = (salt, cipher)
        return self._cipher[1]

    def _derive(self, salt: bytes) -> bytes:
        return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(self._key_setting.encode("utf-8"))

    def _load(self) -> dict[str, Any] | None:
        try:
            with open(self._path, "rb") as file:
                data = json.load(file)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _unavailable(f"cannot read {self._path}: {exc.strerror}") from None
        except ValueError:
            raise _unavailable(f"{self._path} is not a secret store file (invalid JSON)") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise _unavailable(f"{self._path} is not a format-{FORMAT} secret store file")
        return data

    def _save(self, data: dict[str, Any]) -> None:
        directory = os.path.dirname(os.path.abspath(self._path))
        try:
            os.makedirs(directory, exist_ok=True)
            handle, temp_path = tempfile.mkstemp(dir=directory, prefix=".secret-store-", suffix=".tmp")  # mode 0600
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as file:
                    json.dump(data, file, indent=1)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temp_path, self._path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp_path)
                raise
        except OSError as exc:
            raise _unavailable(f"cannot write {self._path}: {exc.strerror}") from None


def _unavailable(problem: str) -> SsoError:
    return SsoError("secret_store_unavailable", f"The local secret store cannot be used: {problem}.")


def _aad(name: str, version_id: str) -> bytes:
    return f"{name}\n{version_id}".encode("utf-8")


def _encrypt(cipher: AESGCM, plaintext: bytes, aad: bytes) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    return _b64(nonce + cipher.encrypt(nonce, plaintext, aad))


def _decrypt(cipher: AESGCM, encoded: str, aad: bytes) -> bytes:
    """The plaintext; InvalidTag when the key, the associated data or the ciphertext is wrong."""
    raw = base64.b64decode(encoded)
    return cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], aad)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def _version(name: str, entry: Mapping[str, Any]) -> SecretVersion:
    return SecretVersion(
        name=name,
        version_id=entry["version_id"],
        created_on=datetime.fromisoformat(entry["created_on"]),
        expires_on=datetime.fromisoformat(entry["expires_on"]) if entry["expires_on"] else None,
        enabled=entry["enabled"],
        tags=entry["tags"],
    )
