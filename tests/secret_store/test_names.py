import itertools
import re

import pytest

from shared.secret_store.names import MAX_VAULT_NAME_CHARS, vault_name


def test_maps_a_connection_secret_name_to_a_readable_vault_name():
    assert vault_name("conn_ab12cd34/client-secret") == "sso-conn-uab12cd34--client-hsecret"
    assert vault_name("conn_ab12cd34/certificate-key") == "sso-conn-uab12cd34--certificate-hkey"


def _valid_names(alphabet: str, max_length: int):
    for length in range(1, max_length + 1):
        for chars in itertools.product(alphabet, repeat=length):
            name = "".join(chars)
            if not (name.startswith("/") or name.endswith("/") or "//" in name):
                yield name


def test_mapping_is_injective_even_under_key_vaults_case_folding():
    names = list(_valid_names("aAc0_-/", 5))
    folded = {vault_name(name).lower() for name in names}  # Key Vault compares names case-insensitively
    assert len(folded) == len(names)


def test_every_mapped_name_is_a_valid_key_vault_name():
    for name in _valid_names("zZ9_-/", 4):
        assert re.fullmatch(r"[0-9a-zA-Z-]{1,127}", vault_name(name))


@pytest.mark.parametrize(
    "name",
    ["", "/conn", "conn/", "conn//key", "conn key", "conn.key", "conné", "conn\n", None, b"conn"],
)
def test_rejects_names_outside_the_grammar(name):
    with pytest.raises(ValueError):
        vault_name(name)


def test_rejects_names_whose_vault_name_is_longer_than_key_vault_allows():
    fits = "a" * (MAX_VAULT_NAME_CHARS - len("sso-"))
    assert len(vault_name(fits)) == MAX_VAULT_NAME_CHARS
    with pytest.raises(ValueError, match="too long"):
        vault_name(fits + "a")
    with pytest.raises(ValueError, match="too long"):
        vault_name("A" * 42)  # a capital takes three characters: 4 + 3 * 42 = 130
