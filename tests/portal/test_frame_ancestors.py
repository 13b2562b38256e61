"""SSO_PORTAL_FRAME_ANCESTORS: who may frame the portal, checked at start, sent on every page."""
from __future__ import annotations

import os

import pytest

from shared.platform.settings import SettingsError, get_settings, load_settings
from tests.portal.helpers import portal_session

BASE = {"SSO_REGION": "eu", "SSO_PUBLIC_BASE_URL": "https://identity.eu.example.com", "SSO_BOOTSTRAP_API_KEY": "k" * 40,
        "SSO_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true", "SSO_KEYVAULT_URL": "https://vault.example.com"}


@pytest.mark.parametrize("value, expected", [(None, "'none'"), ("'self'", "'self'"),
                                             ("https://app.example.com  https://admin.example.com", "https://app.example.com https://admin.example.com")])
def test_accepted_values(value, expected):
    env = {**BASE, **({"SSO_PORTAL_FRAME_ANCESTORS": value} if value else {})}
    assert load_settings(env).portal_frame_ancestors == expected


@pytest.mark.parametrize("value", ["*", "http://app.example.com", "https://app.example.com/path", "'none' https://a.example.com",
                                   "'unsafe-inline'", "https:", "javascript:alert(1)"])
def test_refused_values(value):
    with pytest.raises(SettingsError, match="SSO_PORTAL_FRAME_ANCESTORS"):
        load_settings({**BASE, "SSO_PORTAL_FRAME_ANCESTORS": value})


def test_pages_send_the_setting(stack, admin, new_org):
    client = portal_session(stack, admin, new_org())
    os.environ["SSO_PORTAL_FRAME_ANCESTORS"] = "https://app.example.com"
    get_settings.cache_clear()
    try:
        csp = client.get("/portal/sso").headers["Content-Security-Policy"]
    finally:
        del os.environ["SSO_PORTAL_FRAME_ANCESTORS"]
        get_settings.cache_clear()
    assert csp.endswith("frame-ancestors https://app.example.com")
