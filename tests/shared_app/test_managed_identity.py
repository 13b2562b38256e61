"""The shared app's credential is the stamp's managed identity: its token from the platform's
endpoint is the client assertion, which the simulator's token endpoint accepts only when a
federated credential of the app names its issuer, subject and audience."""
from __future__ import annotations

import dataclasses
import secrets

import pytest

from local.entra_sim.shared_app import SAAS_TENANT
from shared.oidc.entra_client import AppRegistration, probe_credential
from shared.platform.errors import SsoError
from shared.platform.settings import get_settings
from shared.shared_app import app as shared_app
from shared.shared_app.credential import ManagedIdentityAssertion
from tests.flows.helpers import oidc_sign_in, query
from tests.shared_app.helpers import customer_tenant, one_click


def _assertion(**changes) -> ManagedIdentityAssertion:
    return ManagedIdentityAssertion(dataclasses.replace(get_settings().shared_app, **changes))


def _probe(assertion, tenant: str = SAAS_TENANT) -> None:
    app = get_settings().shared_app
    probe_credential(AppRegistration("mi-test", f"mi:{secrets.token_hex(6)}", tenant, app.client_id, {"client_assertion": assertion}))


def test_the_identity_token_proves_the_shared_app(stack):
    _probe(_assertion())  # Entra (the simulator) accepts it: no secret anywhere


def test_the_identity_token_is_reused_until_near_its_expiry(stack):
    assertion = _assertion()
    first = assertion()
    stack.simulator.fail_identity_endpoint(503, times=1)
    try:
        assert assertion() == first
    finally:
        stack.simulator.identities.fail(503, 0)


@pytest.mark.parametrize("status", [500, 503])
def test_an_identity_endpoint_outage_is_unavailable(stack, status):
    stack.simulator.fail_identity_endpoint(status, times=1)
    with pytest.raises(SsoError) as raised:
        _assertion()()
    assert raised.value.code == "managed_identity_unavailable" and raised.value.status == 503


def test_an_unreachable_identity_endpoint_is_unavailable(stack):
    with pytest.raises(SsoError) as raised:
        _assertion(identity_endpoint="https://127.0.0.1:9/msi/token")()
    assert raised.value.code == "managed_identity_unavailable"


@pytest.mark.parametrize("changes", [{"identity_header": "wrong-" + secrets.token_hex(8)},
                                     {"identity_client_id": "00000000-0000-4000-8000-000000000001"}])
def test_a_refused_identity_request_says_which_identity_to_assign(stack, changes):
    with pytest.raises(SsoError) as raised:
        _assertion(**changes)()
    assert raised.value.code == "managed_identity_refused" and get_settings().shared_app.identity_client_id not in str(changes)


def test_an_identity_no_federated_credential_trusts_is_refused_by_entra(stack):
    other = stack.simulator.add_managed_identity(SAAS_TENANT)
    with pytest.raises(SsoError) as raised:
        _probe(_assertion(identity_client_id=other["client_id"]))
    assert raised.value.code == "federated_credential_mismatch" and raised.value.detail["aadsts"] == 700213


def test_a_token_for_another_audience_is_refused_by_entra(stack, monkeypatch):
    monkeypatch.setattr("shared.shared_app.credential.EXCHANGE_AUDIENCE", "https://management.azure.com/")
    with pytest.raises(SsoError) as raised:
        _probe(_assertion())
    assert raised.value.code == "federated_credential_mismatch" and raised.value.detail["aadsts"] == 700212


def test_a_sign_in_while_the_identity_endpoint_is_down_is_temporarily_unavailable(stack, admin, new_org, browser):
    org = new_org()
    tenant = customer_tenant(stack)
    connection = one_click(stack, admin, browser, org, tenant)
    shared_app._identity_assertion(get_settings().shared_app).forget()  # the token the process holds, as after a day
    stack.simulator.fail_identity_endpoint(503, times=1)
    back = oidc_sign_in(browser, stack, tenant["user"], connection=connection["id"])
    assert query(back.headers["Location"])["error"] == "temporarily_unavailable"
    event = next(e for e in admin.get(f"/api/organizations/{org}/events").json()["items"] if e["type"] == "sign_in")
    assert event["detail"]["cause"] == "managed_identity_unavailable"
    again = oidc_sign_in(browser, stack, tenant["user"], connection=connection["id"])
    assert "code" in query(again.headers["Location"])
