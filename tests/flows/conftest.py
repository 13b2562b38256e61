"""Fixtures the sign-in flow tests share."""
from __future__ import annotations

import pytest

from tests.conftest import ApiClient
from tests.flows.helpers import create_oidc_connection, register_oidc_app


@pytest.fixture
def oidc(stack, admin, new_org):
    """An org with one OIDC connection to the simulator's Contoso tenant (`url`: its admin route),
    and a client holding an org API key (`backend`)."""
    org = new_org()
    app = register_oidc_app(stack)
    connection = create_oidc_connection(admin, org, app)
    key = admin.post("/api/api-keys", json={"organization": org, "name": "backend"}).json()["key"]
    return {"org": org, "app": app, "connection": connection, "url": f"/api/organizations/{org}/connections/{connection['id']}",
            "backend": ApiClient(stack.base_url, key)}
