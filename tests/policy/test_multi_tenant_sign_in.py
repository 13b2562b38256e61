"""A multi-tenant (`organizations`) OIDC connection admits only the tenants in its
allowed_tenant_ids, through whole sign-ins against the simulator."""
from __future__ import annotations

import pytest

from tests.flows.helpers import ADELE, CONTOSO, FABRIKAM, Browser, create_oidc_connection, oidc_sign_in, query, register_oidc_app


@pytest.fixture
def multi_tenant_org(stack, admin, new_org):
    org = new_org()
    app = register_oidc_app(stack, CONTOSO, sign_in_audience="AzureADMultipleOrgs")
    create_oidc_connection(admin, org, {**app, "tenant": "organizations"}, allowed_tenant_ids=[FABRIKAM])
    return org


def test_allowed_tenant_signs_in(stack, multi_tenant_org):
    callback = oidc_sign_in(Browser(stack.simulator.ca_bundle), stack, "carlos.ortiz@fabrikam.com", organization=multi_tenant_org)
    assert "code" in query(callback.headers["Location"]), callback.headers["Location"]


def test_other_tenant_is_refused_even_the_apps_own(stack, multi_tenant_org):
    callback = oidc_sign_in(Browser(stack.simulator.ca_bundle), stack, ADELE, organization=multi_tenant_org)
    assert query(callback.headers["Location"])["error"] == "tenant_not_allowed"


def test_multi_tenant_connection_needs_an_allowlist(stack, admin, new_org):
    org = new_org()
    app = register_oidc_app(stack, CONTOSO, sign_in_audience="AzureADMultipleOrgs")
    body = {"protocol": "oidc", "entra_tenant_id": "organizations", "client_id": app["client_id"], "client_secret": app["secret"],
            "client_secret_expires_on": "2099-01-01"}
    assert admin.post(f"/api/organizations/{org}/connections", json=body).json()["error"] == "missing_field"
    bad = admin.post(f"/api/organizations/{org}/connections", json={**body, "allowed_tenant_ids": ["not-a-guid"]})
    assert bad.json()["error"] == "invalid_field"
