"""Every saved OIDC credential is proven: creating a connection, or changing its client id or
tenant, makes a client-credentials request to Entra (the simulator) first; a refusal is Entra's
reason with the fix, and nothing is stored (no record, no secret version)."""
from __future__ import annotations

import json
import os
import uuid

import pytest

from tests.flows.helpers import CONTOSO, FABRIKAM, register_oidc_app
from tests.lifecycle.helpers import record

UNKNOWN_TENANT = "3f1d2c4b-0000-4000-8000-000000000000"


def secret_names() -> set[str]:
    """Every secret name in the dev host's local secret store (names are stored in clear)."""
    path = os.environ["SSO_LOCAL_SECRET_STORE_PATH"]
    if not os.path.exists(path):
        return set()
    with open(path, encoding="utf-8") as file:
        return set(json.load(file)["secrets"])


def body_for(app: dict, **overrides) -> dict:
    return {"protocol": "oidc", "entra_tenant_id": app["tenant"], "client_id": app["client_id"], "client_secret": app["secret"],
            "client_secret_expires_on": "2099-01-01", **overrides}


def assert_nothing_stored(admin, org: str, names_before: set[str]) -> None:
    assert admin.get(f"/api/organizations/{org}/connections").json()["items"] == []
    assert secret_names() == names_before


@pytest.mark.parametrize("case,code", [
    ("wrong_client_id", "application_not_found"),
    ("secret_id_pasted", "invalid_client_secret"),
    ("expired_secret", "client_secret_expired"),
    ("wrong_secret", "invalid_client_secret"),
    ("app_in_other_tenant", "application_not_found"),
    ("unknown_tenant", "tenant_not_found"),
])
def test_create_refused_by_entra_stores_nothing(stack, admin, new_org, case, code):
    org = new_org()
    app = register_oidc_app(stack)
    expired = register_oidc_app(stack, secrets=[{"value": "expired-secret-value-1234", "expires_on": "2020-01-01"}])
    body = {
        "wrong_client_id": body_for(app, client_id=str(uuid.uuid4())),
        "secret_id_pasted": body_for(app, client_secret=str(uuid.uuid4())),  # the Secret ID column: a GUID
        "expired_secret": body_for(expired, client_secret="expired-secret-value-1234"),
        "wrong_secret": body_for(app, client_secret="not-the-value-" + uuid.uuid4().hex),
        "app_in_other_tenant": body_for(app, entra_tenant_id=FABRIKAM),
        "unknown_tenant": body_for(app, entra_tenant_id=UNKNOWN_TENANT),
    }[case]
    before = secret_names()
    refused = admin.post(f"/api/organizations/{org}/connections", json=body)
    assert (refused.status_code, refused.json()["error"]) == (400, code), refused.text
    if code == "invalid_client_secret":
        assert "not its Secret ID" in refused.json()["error_description"]
    assert body["client_secret"] not in refused.text
    assert_nothing_stored(admin, org, before)
    events = admin.get(f"/api/organizations/{org}/events").json()["items"]
    assert any(e["type"] == "request.refused" and e["error"] == code for e in events)


def test_create_with_entra_token_endpoint_down_is_503_and_stores_nothing(stack, admin, new_org):
    org = new_org()
    app = register_oidc_app(stack)
    before = secret_names()
    stack.simulator.fail_token_endpoint(503, times=10)
    try:
        down = admin.post(f"/api/organizations/{org}/connections", json=body_for(app))
    finally:
        stack.simulator.clear_errors()
    assert (down.status_code, down.json()["error"]) == (503, "authority_unreachable"), down.text
    assert_nothing_stored(admin, org, before)
    assert admin.post(f"/api/organizations/{org}/connections", json=body_for(app)).status_code == 201


def test_multi_tenant_create_is_proven_in_the_first_allowed_tenant(stack, admin, new_org):
    org = new_org()
    app = register_oidc_app(stack, sign_in_audience="AzureADMultipleOrgs")
    body = body_for(app, entra_tenant_id="organizations", allowed_tenant_ids=[FABRIKAM, CONTOSO], client_secret="wrong-" + uuid.uuid4().hex)
    refused = admin.post(f"/api/organizations/{org}/connections", json=body)
    assert refused.json()["error"] == "invalid_client_secret", refused.text
    created = admin.post(f"/api/organizations/{org}/connections", json={**body, "client_secret": app["secret"]})
    assert created.status_code == 201, created.text


def test_patch_of_client_id_or_tenant_is_proven_with_the_stored_secret(stack, admin, new_org):
    org = new_org()
    app, other = register_oidc_app(stack), register_oidc_app(stack)
    connection = admin.post(f"/api/organizations/{org}/connections", json=body_for(app)).json()
    url = f"/api/organizations/{org}/connections/{connection['id']}"
    before = record(connection["id"])
    for change, code in (({"client_id": str(uuid.uuid4())}, "application_not_found"),
                         ({"client_id": other["client_id"]}, "invalid_client_secret"),  # another app: our secret is not its
                         ({"entra_tenant_id": FABRIKAM}, "application_not_found")):
        refused = admin.patch(url, json=change)
        assert (refused.status_code, refused.json()["error"]) == (400, code), (change, refused.text)
        assert record(connection["id"]) == before
    stack.simulator.update_app(other["client_id"], {"secrets": [{"value": app["secret"], "expires_on": "2099-01-01"}]})
    moved = admin.patch(url, json={"client_id": other["client_id"]})
    assert moved.status_code == 200 and moved.json()["client_id"] == other["client_id"], moved.text
