"""Client secret rotation: proven with Entra before it becomes current, never half-switched,
rolled back within 7 days, and invisible to sign-ins running at the same time."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.flows.helpers import CONTOSO, FABRIKAM, create_oidc_connection, register_oidc_app
from tests.lifecycle.helpers import events_of, new_entra_secret, oidc_setup, record, sign_in

LATER = "2099-01-01"


@pytest.fixture
def setup(stack, admin, new_org):
    return oidc_setup(stack, admin, new_org)


def _versions(connection_id: str) -> list[str]:
    from shared.secret_store import get_secret_store

    return [v.version_id for v in get_secret_store().list_versions(f"{connection_id}/client-secret")]


def test_rotation_proves_the_new_secret_then_switches(stack, admin, setup):
    from shared.secret_store import get_secret_store

    before = record(setup.connection["id"])
    value = new_entra_secret(stack, setup)
    rotated = admin.post(setup.url + "/secret", json={"client_secret": value, "expires_on": "2098-06-30"})
    assert rotated.status_code == 200, rotated.text
    view = rotated.json()
    assert value not in rotated.text
    assert view["client_secret_expires_on"] == "2098-06-30" and view["credential_type"] == "secret"
    assert view["rollback_available_until"] and rotated.headers["ETag"] == view["etag"]

    doc = record(setup.connection["id"])
    assert doc["client_secret_version"] != before["client_secret_version"]
    assert doc["previous_credential"]["version"] == before["client_secret_version"]
    store = get_secret_store()
    assert store.get_secret(f"{setup.connection['id']}/client-secret").value == value, "the new version is current in the store"
    assert store.get_secret(f"{setup.connection['id']}/client-secret", before["client_secret_version"]).value == setup.app["secret"]

    event = events_of(admin, setup.org, "connection.secret_rotated")[0]
    assert event["connection"] == setup.connection["id"] and event["detail"]["expires_on"] == "2098-06-30"
    assert value not in str(events_of(admin, setup.org))

    stack.simulator.update_app(setup.app["client_id"], {"remove_secrets": [setup.app["secret"]]})  # the admin deletes the old one
    sign_in(stack, setup)


@pytest.mark.parametrize("entra_says,code", [("unknown", "invalid_client_secret"), ("expired", "client_secret_expired")])
def test_a_secret_entra_refuses_never_becomes_current(stack, admin, setup, entra_says, code):
    before, versions = record(setup.connection["id"]), _versions(setup.connection["id"])
    if entra_says == "unknown":
        value = "not-a-secret-entra-knows-000000000000000"
    else:
        value = new_entra_secret(stack, setup, expires_on="2020-01-01")
    refused = admin.post(setup.url + "/secret", json={"client_secret": value, "expires_on": LATER})
    assert (refused.status_code, refused.json()["error"]) == (400, code), refused.text
    assert record(setup.connection["id"]) == before and _versions(setup.connection["id"]) == versions
    event = events_of(admin, setup.org, "connection.secret_rotation_refused")[0]
    assert event["outcome"] == "failed" and event["error"] == code and value not in str(event)
    sign_in(stack, setup)


def test_token_endpoint_unreachable_switches_nothing(stack, admin, setup):
    before, versions = record(setup.connection["id"]), _versions(setup.connection["id"])
    value = new_entra_secret(stack, setup)
    stack.simulator.fail_token_endpoint(503, times=10)
    try:
        down = admin.post(setup.url + "/secret", json={"client_secret": value, "expires_on": LATER})
    finally:
        stack.simulator.clear_errors()
    assert (down.status_code, down.json()["error"]) == (503, "authority_unreachable"), down.text
    assert record(setup.connection["id"]) == before and _versions(setup.connection["id"]) == versions
    assert admin.post(setup.url + "/secret", json={"client_secret": value, "expires_on": LATER}).status_code == 200


def test_secret_store_unreachable_loses_nothing(stack, admin, setup, monkeypatch):
    import shared.secret_store as secret_store
    from shared.platform.errors import SsoError

    real = secret_store.get_secret_store()

    class Down:
        def __getattr__(self, name):
            return getattr(real, name)

        def set_secret(self, *args, **kwargs):
            raise SsoError("secret_store_unavailable")

    before = record(setup.connection["id"])
    value = new_entra_secret(stack, setup)
    monkeypatch.setattr(secret_store, "get_secret_store", lambda: Down())
    down = admin.post(setup.url + "/secret", json={"client_secret": value, "expires_on": LATER})
    assert (down.status_code, down.json()["error"]) == (503, "secret_store_unavailable"), down.text
    assert record(setup.connection["id"]) == before
    sign_in(stack, setup)  # the current secret is untouched
    monkeypatch.undo()
    assert admin.post(setup.url + "/secret", json={"client_secret": value, "expires_on": LATER}).status_code == 200


def test_bad_input_is_refused_before_anything_happens(stack, admin, setup):
    yesterday = (datetime.now(timezone.utc).date() - timedelta(days=1)).isoformat()
    cases = [
        ({"client_secret": "x" * 40, "expires_on": "31/12/2099"}, 400, "invalid_field"),
        ({"client_secret": "x" * 40, "expires_on": "2099-02-30"}, 400, "invalid_field"),
        ({"client_secret": "x" * 40, "expires_on": yesterday}, 400, "invalid_field"),
        ({"client_secret": "x" * 40, "expires_on": 20990101}, 400, "invalid_field"),
        ({"client_secret": "x" * 257, "expires_on": LATER}, 400, "invalid_field"),
        ({"client_secret": "", "expires_on": LATER}, 400, "invalid_field"),
        ({"client_secret": "   ", "expires_on": LATER}, 400, "invalid_field"),
        ({"client_secret": ["x"], "expires_on": LATER}, 400, "invalid_field"),
        ({"expires_on": LATER}, 400, "missing_field"),
        ({"client_secret": "x" * 40}, 400, "missing_field"),
        ({"client_secret": "x" * 40, "expires_on": LATER, "secret_id": "abc"}, 400, "unknown_field"),
        ({"client_secret": setup.app["secret"], "expires_on": LATER}, 400, "client_secret_unchanged"),
    ]
    before = record(setup.connection["id"])
    for body, status, code in cases:
        response = admin.post(setup.url + "/secret", json=body)
        assert (response.status_code, response.json()["error"]) == (status, code), (body, response.text)
        assert "x" * 40 not in response.text
    assert admin.post(setup.url + "/secret", data="client_secret=x").json()["error"] == "unsupported_media_type"
    assert record(setup.connection["id"]) == before


def test_a_saml_connection_has_no_secret_to_rotate(admin, new_org):
    from shared.orgs import connections
    from shared.orgs.records import Connection

    org = new_org()
    doc = Connection(id=connections.new_id(), organization=org, protocol="saml", display_name="SAML", enabled=True, domains=[],
                     sp_entity_id="https://sp.example/" + org, idp_entity_id="https://sts.windows.net/x/", idp_sso_url="https://idp.example/saml2",
                     idp_certificates=[], attribute_mapping={}, allow_idp_initiated=False, created="2026-01-01T00:00:00Z", updated="2026-01-01T00:00:00Z")
    connections.insert(doc)
    base = f"/api/organizations/{org}/connections/{doc.id}"
    for path, body in (("/secret", {"client_secret": "x" * 40, "expires_on": LATER}), ("/secret/rollback", None),
                       ("/certificate", None), ("/certificate/activate", None)):
        response = admin.post(base + path, json=body)
        assert (response.status_code, response.json()["error"]) == (400, "not_oidc_connection"), (path, response.text)


def test_other_orgs_and_unknown_connections_look_absent(stack, admin, setup, new_org):
    other = new_org()
    key = admin.post("/api/api-keys", json={"organization": other, "name": "other"}).json()["key"]
    from tests.conftest import ApiClient

    foreign = ApiClient(stack.base_url, key)
    assert foreign.post(setup.url + "/secret", json={"client_secret": "x" * 40, "expires_on": LATER}).status_code == 404
    assert foreign.post(setup.url + "/certificate").status_code == 404
    assert admin.post(f"/api/organizations/{setup.org}/connections/conn_{'a' * 20}/secret/rollback").status_code == 404
    assert ApiClient(stack.base_url, None).post(setup.url + "/secret/rollback").status_code == 401


def test_if_match_is_honoured(stack, admin, setup):
    value = new_entra_secret(stack, setup)
    stale = admin.post(setup.url + "/secret", json={"client_secret": value, "expires_on": LATER}, headers={"If-Match": 'W/"stale"'})
    assert (stale.status_code, stale.json()["error"]) == (409, "conflict")
    etag = admin.get(setup.url).headers["ETag"]
    assert admin.post(setup.url + "/secret", json={"client_secret": value, "expires_on": LATER}, headers={"If-Match": etag}).status_code == 200


def test_multi_tenant_connection_is_proven_in_its_first_allowed_tenant(stack, admin, new_org):
    org = new_org()
    app = register_oidc_app(stack, sign_in_audience="AzureADMultipleOrgs")
    connection = create_oidc_connection(admin, org, {**app, "tenant": "organizations"}, allowed_tenant_ids=[FABRIKAM, CONTOSO])
    url = f"/api/organizations/{org}/connections/{connection['id']}"
    value = "sim-secret-multi-" + "a" * 24
    stack.simulator.update_app(app["client_id"], {"secrets": [{"value": value, "expires_on": LATER}]})
    stack.simulator.set_error("AADSTS7000215", client_id=app["client_id"], tenant=FABRIKAM, endpoint="token", times=1)
    refused = admin.post(url + "/secret", json={"client_secret": value, "expires_on": LATER})
    assert refused.json()["error"] == "invalid_client_secret", "the probe went to Fabrikam, the first allowed tenant"
    assert admin.post(url + "/secret", json={"client_secret": value, "expires_on": LATER}).status_code == 200


def test_rollback_restores_the_previous_secret_once_within_seven_days(stack, admin, setup):
    from shared.orgs import connections

    original = record(setup.connection["id"])
    value = new_entra_secret(stack, setup, expires_on="2098-01-01")
    assert admin.post(setup.url + "/secret", json={"client_secret": value, "expires_on": "2098-01-01"}).status_code == 200

    rolled = admin.post(setup.url + "/secret/rollback")
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["client_secret_expires_on"] == original["client_secret_expires_on"]
    assert rolled.json()["rollback_available_until"] is None
    doc = record(setup.connection["id"])
    assert doc["client_secret_version"] == original["client_secret_version"] and "previous_credential" not in doc
    assert events_of(admin, setup.org, "connection.credential_rolled_back")
    sign_in(stack, setup)

    again = admin.post(setup.url + "/secret/rollback")
    assert (again.status_code, again.json()["error"]) == (409, "rollback_unavailable")

    # A rotation more than 7 days old can no longer be undone.
    assert admin.post(setup.url + "/secret", json={"client_secret": value, "expires_on": "2098-01-01"}).status_code == 200
    stored = connections.get(setup.connection["id"])
    aged = stored.doc.previous_credential.replace(replaced_at=(datetime.now(timezone.utc) - timedelta(days=7, minutes=1)).isoformat())
    connections.save(stored.doc.replace(previous_credential=aged), stored.etag)
    late = admin.post(setup.url + "/secret/rollback")
    assert (late.status_code, late.json()["error"]) == (409, "rollback_unavailable")
    assert admin.get(setup.url).json()["rollback_available_until"] is None


def test_rollback_to_a_secret_deleted_in_entra_is_refused(stack, admin, setup):
    value = new_entra_secret(stack, setup)
    assert admin.post(setup.url + "/secret", json={"client_secret": value, "expires_on": LATER}).status_code == 200
    stack.simulator.update_app(setup.app["client_id"], {"remove_secrets": [setup.app["secret"]]})
    before = record(setup.connection["id"])
    refused = admin.post(setup.url + "/secret/rollback")
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_client_secret")
    assert record(setup.connection["id"]) == before
    assert events_of(admin, setup.org, "connection.credential_rollback_refused")


def test_sign_ins_keep_working_while_the_secret_is_rotated(stack, admin, setup):
    """Sign-ins run in threads through several rotations and a rollback: not one may fail."""
    stop = threading.Event()
    failures: list[str] = []
    successes = [0]
    lock = threading.Lock()

    def keep_signing_in():
        while not stop.is_set():
            try:
                sign_in(stack, setup)
                with lock:
                    successes[0] += 1
            except Exception as exc:  # noqa: BLE001 - every failure is the test's finding
                with lock:
                    failures.append(repr(exc)[:300])

    threads = [threading.Thread(target=keep_signing_in) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        for _ in range(3):
            value = new_entra_secret(stack, setup)  # added in Entra first, as the admin would
            response = admin.post(setup.url + "/secret", json={"client_secret": value, "expires_on": LATER})
            assert response.status_code == 200, response.text
            time.sleep(0.4)
        assert admin.post(setup.url + "/secret/rollback").status_code == 200
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert failures == [], failures
    assert successes[0] >= 8, successes
    assert len(events_of(admin, setup.org, "connection.secret_rotated")) == 3
