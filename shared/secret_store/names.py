"""Logical secret names and the Key Vault names they are stored under.

Logical names are what the service uses, e.g. `conn_ab12cd34/client-secret`: segments of
`[A-Za-z0-9_-]` joined by `/`. Key Vault allows only `[0-9a-zA-Z-]{1,127}` and compares names
case-insensitively, so the vault name is `sso-` followed by the logical name escaped with `-`:

    a-z 0-9   ->  themselves
    /         ->  --
    -         ->  -h
    _         ->  -u
    A-Z       ->  -c + the lower-case letter

    conn_ab12cd34/client-secret  ->  sso-conn-uab12cd34--client-hsecret

Every escape starts with `-` and the letter after it says which one, so no escape is a prefix of
another and the mapping is injective; the output is all lower case, so Key Vault's case folding
cannot make two logical names collide. The `sso-` prefix keeps the store's secrets apart from
others in the same vault (e.g. the bootstrap API key behind a Key Vault reference).
"""
from __future__ import annotations

import re

VAULT_PREFIX = "sso-"
MAX_VAULT_NAME_CHARS = 127

_LOGICAL_NAME = re.compile(r"[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*")
_ESCAPES = {"/": "--", "-": "-h", "_": "-u"}


def vault_name(name: str) -> str:
    """The Key Vault secret name for a logical name; ValueError when the name is not allowed."""
    if not isinstance(name, str) or not _LOGICAL_NAME.fullmatch(name):
        raise ValueError(f"secret name {name!r} must be segments of [A-Za-z0-9_-] joined by '/'")
    escaped = "".join(_ESCAPES.get(char) or (f"-c{char.lower()}" if char.isupper() else char) for char in name)
    mapped = VAULT_PREFIX + escaped
    if len(mapped) > MAX_VAULT_NAME_CHARS:
        raise ValueError(f"secret name {name!r} is too long: it maps to {len(mapped)} characters, Key Vault allows {MAX_VAULT_NAME_CHARS}")
    return mapped


def validate_name(name: str) -> None:
    """Raises ValueError unless `name` is a logical name that Key Vault could hold; the local
    store checks this too, so a name that works in development works in Azure."""
    vault_name(name)
