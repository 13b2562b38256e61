"""local.settings.sample.json: the Functions local.settings.json shape, listing every setting the
code reads, with values that work for development (copy it to local.settings.json)."""
from __future__ import annotations

import json

from shared.platform.settings import DEV_ONLY_SETTINGS, SETTING_NAMES, load_settings
from tests.infra.model import ROOT

SAMPLE = ROOT / "local.settings.sample.json"


def values() -> dict[str, str]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))["Values"]


def test_shape_is_local_settings_json():
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    assert sample["IsEncrypted"] is False
    assert values()["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert values()["AzureWebJobsStorage"] == "UseDevelopmentStorage=true"
    assert all(isinstance(v, str) for v in values().values()), "Functions settings are strings"


def test_lists_every_setting_the_code_reads_and_no_other():
    sso = {name for name in values() if name.startswith("SSO_")}
    assert sso == set(SETTING_NAMES)


def test_sample_values_load_as_a_development_stamp():
    loaded = load_settings(values())
    assert loaded.storage_connection_string and not loaded.storage_table_endpoint
    assert loaded.local_secret_store_path and not loaded.keyvault_url
    assert not loaded.allow_loopback_metadata


def test_azure_only_settings_are_left_empty_and_dev_ones_are_named():
    # Empty means unset to load_settings; listed so a developer sees every name in one place.
    assert values()["SSO_STORAGE_TABLE_ENDPOINT"] == "" and values()["SSO_KEYVAULT_URL"] == ""
    assert set(DEV_ONLY_SETTINGS) <= set(values())


def test_the_real_file_stays_out_of_git():
    assert "local.settings.json" in (ROOT / ".gitignore").read_text().split()
