"""Fixtures of the shared app's tests."""
from __future__ import annotations

import pytest

from tests.policy.conftest import dns_zone, verified_domain  # noqa: F401  (fixtures, used by name)

MICROSOFT_REDIRECT = "https://app.example.com/microsoft-callback"


@pytest.fixture
def microsoft(stack, admin):
    """Sets Sign in with Microsoft for any account to `tenant_type`; answers the PUT's response."""
    from local.entra_sim.shared_app import SHARED_APP_CLIENT_ID
    from tests.flows.helpers import CONTOSO, FABRIKAM

    for tenant in (CONTOSO, FABRIKAM):  # their users consent for themselves in Entra (user consent allowed)
        stack.simulator.grant_consent(SHARED_APP_CLIENT_ID, tenant)

    def configure(tenant_type: str = "common", enabled: bool = True):
        response = admin.put("/api/microsoft-sign-in", json={"enabled": enabled, "tenant_type": tenant_type, "redirect_uris": [MICROSOFT_REDIRECT]})
        assert response.status_code == 200, response.text
        return response.json()

    yield configure
    admin.put("/api/microsoft-sign-in", json={"enabled": False, "tenant_type": "common", "redirect_uris": []})
