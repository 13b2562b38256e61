"""The shared app's settings: all three together, a credential that is never a secret, and the
managed identity endpoint Azure provides on loopback (anything else is refused at start)."""
from __future__ import annotations

import pytest

from shared.platform.settings import SettingsError, load_settings

BASE = {"SSO_REGION": "eu", "SSO_PUBLIC_BASE_URL": "https://identity.eu.example.com", "SSO_BOOTSTRAP_API_KEY": "k" * 40,
        "SSO_STORAGE_TABLE_ENDPOINT": "https://st.table.core.windows.net", "SSO_KEYVAULT_URL": "https://kv.vault.azure.net"}
APP = {"SSO_SHARED_APP_CLIENT_ID": "5aa5a990-0000-4000-8000-00000000a990", "SSO_SHARED_APP_TENANT_ID": "5aa5c0de-0000-4000-8000-000000005aa5"}
MI = {"SSO_SHARED_APP_CREDENTIAL": "managed_identity", "AZURE_CLIENT_ID": "11111111-2222-4333-8444-555555555555",
      "IDENTITY_ENDPOINT": "http://localhost:8081/msi/token", "IDENTITY_HEADER": "h" * 20}


def test_no_shared_app_by_default():
    assert load_settings(BASE).shared_app is None


def test_managed_identity_reads_what_azure_provides():
    app = load_settings({**BASE, **APP, **MI}).shared_app
    assert (app.credential, app.identity_client_id, app.identity_endpoint) == ("managed_identity", MI["AZURE_CLIENT_ID"], MI["IDENTITY_ENDPOINT"])
    assert "h" * 20 not in repr(app)


@pytest.mark.parametrize("changes, problem", [
    ({"SSO_SHARED_APP_CREDENTIAL": "client_secret"}, "no client secret is ever used"),
    ({"IDENTITY_ENDPOINT": "http://169.254.169.254.nip.io/msi/token"}, "IDENTITY_ENDPOINT must be the platform's local endpoint"),
    ({"IDENTITY_HEADER": ""}, "needs IDENTITY_HEADER"),
    ({"SSO_SHARED_APP_TENANT_ID": ""}, "missing SSO_SHARED_APP_TENANT_ID"),
    ({"SSO_SHARED_APP_CLIENT_ID": "not-a-guid"}, "must be a GUID"),
    ({"SSO_SHARED_APP_CREDENTIAL": "certificate"}, "needs SSO_SHARED_APP_CERTIFICATE"),
])
def test_a_wrong_shared_app_setting_stops_the_start_with_its_fix(changes, problem):
    with pytest.raises(SettingsError) as raised:
        load_settings({**BASE, **APP, **MI, **changes})
    assert problem in str(raised.value)
