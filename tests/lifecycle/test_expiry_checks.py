"""check_expiry: each threshold of each credential reported once (event, warning log, signed
webhook), webhook failures retried with backoff, one org never holding up another."""
from __future__ import annotations

import logging
import secrets
import socket
import time
from datetime import date, datetime, timedelta, timezone

from cryptography.hazmat.primitives import hashes

from local.entra_sim import pki
from tests.flows.helpers import create_oidc_connection, register_oidc_app
from tests.lifecycle.helpers import events_of, org_doc, org_with_webhook
from tests.lifecycle.receiver import check_signature, receiver  # noqa: F401 (the fixture)


def _secret_expiring(stack, admin, org: str, days: int) -> dict:
    app = register_oidc_app(stack)
    expires = (datetime.now(timezone.utc).date() + timedelta(days=days)).isoformat()
    return create_oidc_connection(admin, org, app, client_secret_expires_on=expires)


def _insert_connection(org: str, **fields):
    from shared.orgs import connections
    from shared.orgs.records import Connection

    doc = Connection(**{"id": connections.new_id(), "organization": org, "enabled": True, "domains": [], "display_name": "inserted",
                        "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z", **fields})
    connections.insert(doc)
    return doc


def _saml(org: str, *pems: str):
    return _insert_connection(org, protocol="saml", sp_entity_id="https://sp.example/" + secrets.token_hex(6), idp_entity_id="https://sts.windows.net/x/",
                              idp_sso_url="https://idp.example/saml2", idp_certificates=list(pems), attribute_mapping={}, allow_idp_initiated=False)


def test_each_threshold_fires_once_with_a_signed_webhook(stack, admin, receiver, caplog):
    from shared.lifecycle import expiry_checks

    org, webhook_secret = org_with_webhook(admin, receiver.url)
    connection = _secret_expiring(stack, admin, org, days=20)
    now = datetime.now(timezone.utc)

    status = admin.get(f"/api/organizations/{org}/connections/{connection['id']}").json()
    assert status["status"] == "secret_expiring" and status["status_reasons"][0]["days_left"] == 20

    with caplog.at_level(logging.WARNING, logger="entra_sso"):
        counts = expiry_checks.check_organization(org_doc(org), now)
    assert counts["warnings"] == 1 and counts["delivered"] == 1, counts
    assert any("credential_expiring" in r.getMessage() and connection["id"] in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)

    [event] = events_of(admin, org, "credential.expiring")
    assert event["connection"] == connection["id"] and event["outcome"] == "warning"
    assert (event["detail"]["credential"], event["detail"]["threshold"], event["detail"]["days_left"]) == ("client_secret", "30", 20)

    [delivery] = receiver.deliveries
    assert check_signature(webhook_secret, delivery.headers["entra-sso-signature"], delivery.body)
    assert not check_signature("whsec_wrong", delivery.headers["entra-sso-signature"], delivery.body)
    payload = delivery.payload
    assert payload["type"] == "credential.expiring" and payload["organization"] == org
    assert payload["data"]["connection"] == connection["id"] and payload["data"]["threshold"] == "30"
    assert payload["id"] == delivery.headers["entra-sso-delivery"]
    assert delivery.headers["content-type"] == "application/json"

    # The same day again, and a week later (still within 30): nothing new.
    for later in (now, now + timedelta(days=7)):
        assert expiry_checks.check_organization(org_doc(org), later)["warnings"] == 0
    assert len(receiver.deliveries) == 1 and len(events_of(admin, org, "credential.expiring")) == 1

    # Then 7 days, 1 day, expired: each once, in turn.
    for days_on, expected in ((14, "7"), (19, "1"), (21, "expired")):
        later = now + timedelta(days=days_on)
        assert expiry_checks.check_organization(org_doc(org), later)["warnings"] == 1
        assert expiry_checks.check_organization(org_doc(org), later)["warnings"] == 0
        assert receiver.deliveries[-1].payload["data"]["threshold"] == expected
    assert len(receiver.deliveries) == 4
    assert all(check_signature(webhook_secret, d.headers["entra-sso-signature"], d.body) for d in receiver.deliveries)
    [expired] = events_of(admin, org, "credential.expired")
    assert expired["error"] == "client_secret_expired" and receiver.deliveries[-1].payload["type"] == "credential.expired"
    assert [e["detail"]["threshold"] for e in events_of(admin, org, "credential.expiring")] == ["1", "7", "30"]


def test_a_credential_first_seen_late_warns_once_at_the_tightest_threshold(stack, admin, new_org):
    from shared.lifecycle import expiry_checks

    org = new_org()
    _secret_expiring(stack, admin, org, days=5)
    assert expiry_checks.check_organization(org_doc(org))["warnings"] == 1
    assert [e["detail"]["threshold"] for e in events_of(admin, org, "credential.expiring")] == ["7"]
    assert expiry_checks.check_organization(org_doc(org))["delivered"] == 0  # no webhook URL: events only


def test_a_new_secret_starts_its_own_thresholds(stack, admin, new_org):
    from shared.lifecycle import expiry_checks
    from shared.orgs import connections

    org = new_org()
    connection = _secret_expiring(stack, admin, org, days=10)
    assert expiry_checks.check_organization(org_doc(org))["warnings"] == 1
    stored = connections.get(connection["id"])  # as a rotation does: another version, another date
    connections.save(stored.doc.replace(client_secret_version="f" * 32, client_secret_expires_on=(date.today() + timedelta(days=25)).isoformat()), stored.etag)
    assert expiry_checks.check_organization(org_doc(org))["warnings"] == 1
    assert [e["detail"]["threshold"] for e in events_of(admin, org, "credential.expiring")] == ["30", "30"]


def test_saml_signing_certificates_and_certificate_credentials_are_checked(admin, new_org):
    from shared.lifecycle import expiry_checks

    org = new_org()
    old, new = pki.self_signed("idp old", days=5), pki.self_signed("idp new", days=3 * 365)
    saml = _saml(org, old.cert_pem.decode(), new.cert_pem.decode())
    credential_cert = pki.self_signed("client cert", days=45)
    oidc = _insert_connection(org, protocol="oidc", entra_tenant_id="11111111-1111-4111-8111-111111111111", client_id="22222222-2222-4222-8222-222222222222",
                              allowed_tenant_ids=[], scopes="openid", credential_type="certificate", client_secret_version="v1",
                              client_secret_expires_on="2099-01-01",
                              certificate_credential={"thumbprint": "00", "certificate_pem": credential_cert.cert_pem.decode(), "key_version": "k1",
                                                      "expires_on": credential_cert.cert.not_valid_after_utc.date().isoformat()})
    counts = expiry_checks.check_organization(org_doc(org))
    assert counts["warnings"] == 2 and counts["credentials"] == 3, counts
    by_connection = {e["connection"]: e["detail"] for e in events_of(admin, org, "credential.expiring")}
    idp = by_connection[saml.id]
    assert idp["credential"] == "idp_signing_certificate" and idp["threshold"] == "7"
    assert idp["thumbprint"] == old.cert.fingerprint(hashes.SHA1()).hex().upper()
    assert idp["newer_certificate"] == new.cert.fingerprint(hashes.SHA1()).hex().upper()
    assert (by_connection[oidc.id]["credential"], by_connection[oidc.id]["threshold"]) == ("certificate_credential", "60")
    view = admin.get(f"/api/organizations/{org}/connections/{oidc.id}").json()
    assert view["credential_type"] == "certificate" and view["status"] == "active"  # 45 days: past the status's 30-day window
    assert expiry_checks.check_organization(org_doc(org))["warnings"] == 0


def test_failed_webhooks_retry_with_backoff(stack, admin, receiver):
    from shared.lifecycle import expiry_checks, webhooks

    org, webhook_secret = org_with_webhook(admin, receiver.url)
    _secret_expiring(stack, admin, org, days=6)  # crosses 7 now, and no other threshold for the next 4 days
    receiver.statuses = [500, 503]
    now = datetime.now(timezone.utc)

    first = expiry_checks.check_organization(org_doc(org), now)
    assert (first["warnings"], first["failed"], first["delivered"]) == (1, 1, 0)
    [row] = webhooks.pending(org)
    assert row.doc.attempts == 1 and row.doc.last_error == "HTTP 500"

    first_wait, second_wait = webhooks.BACKOFF[0], webhooks.BACKOFF[1]
    assert second_wait > first_wait
    assert expiry_checks.check_organization(org_doc(org), now + first_wait / 2)["failed"] == 0, "not before its backoff"
    assert len(receiver.deliveries) == 1

    second = expiry_checks.check_organization(org_doc(org), now + first_wait)
    assert second["failed"] == 1 and webhooks.pending(org)[0].doc.attempts == 2
    later = now + first_wait
    assert expiry_checks.check_organization(org_doc(org), later + first_wait)["failed"] == 0, "the second wait is longer"

    third = expiry_checks.check_organization(org_doc(org), later + second_wait)
    assert third["delivered"] == 1 and webhooks.pending(org) == []
    ids = {d.payload["id"] for d in receiver.deliveries}
    assert len(receiver.deliveries) == 3 and len(ids) == 1, "one notification, retried under one id"
    assert all(check_signature(webhook_secret, d.headers["entra-sso-signature"], d.body) for d in receiver.deliveries)
    assert len(events_of(admin, org, "credential.expiring")) == 1


def test_a_notification_is_dropped_after_its_last_attempt(stack, admin, receiver):
    from shared.lifecycle import expiry_checks, webhooks

    org, _ = org_with_webhook(admin, receiver.url)
    _secret_expiring(stack, admin, org, days=30)  # all retries (about a week) fall before the 7-day threshold
    receiver.statuses = [500] * webhooks.MAX_ATTEMPTS
    moment = datetime.now(timezone.utc)
    expiry_checks.check_organization(org_doc(org), moment)
    for wait in webhooks.BACKOFF:
        moment += wait
        expiry_checks.check_organization(org_doc(org), moment)
    assert len(receiver.deliveries) == webhooks.MAX_ATTEMPTS and webhooks.pending(org) == []
    [abandoned] = events_of(admin, org, "webhook.abandoned")
    assert abandoned["outcome"] == "failed" and abandoned["detail"]["attempts"] == webhooks.MAX_ATTEMPTS


def test_a_dead_endpoint_never_holds_up_other_organizations(stack, admin, receiver):
    from shared.lifecycle import expiry_checks, webhooks

    black_hole = socket.socket()  # accepts connections, never answers
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(16)
    try:
        dead, _ = org_with_webhook(admin, f"http://127.0.0.1:{black_hole.getsockname()[1]}/hook")
        alive, secret = org_with_webhook(admin, receiver.url)
        for org in (dead, alive):
            _secret_expiring(stack, admin, org, days=2)
        started = time.monotonic()
        totals = expiry_checks.run()
        elapsed = time.monotonic() - started
    finally:
        black_hole.close()
    assert totals["errors"] == 0 and totals["failed"] >= 1 and totals["delivered"] >= 1, totals
    assert [d.payload["organization"] for d in receiver.deliveries] == [alive]
    assert webhooks.pending(dead)[0].doc.last_error.startswith("no answer"), "the 5 s timeout ended the attempt"
    assert elapsed < webhooks.TIMEOUT_SECONDS * 3, elapsed


def test_the_timer_runs_through_the_dev_host(stack, admin, receiver):
    import requests

    org, secret = org_with_webhook(admin, receiver.url)
    connection = _secret_expiring(stack, admin, org, days=1)
    url = f"{stack.base_url}/admin/functions/check_expiry"
    assert requests.post(url, json={"input": ""}, headers={"x-functions-key": "wrong"}, timeout=30).status_code == 401
    response = requests.post(url, json={"input": ""}, headers={"x-functions-key": stack.bootstrap_key}, timeout=60)
    assert response.status_code == 202
    [event] = events_of(admin, org, "credential.expiring")
    assert event["connection"] == connection["id"] and event["detail"]["threshold"] == "1"
    [delivery] = [d for d in receiver.deliveries if d.payload["organization"] == org]
    assert check_signature(secret, delivery.headers["entra-sso-signature"], delivery.body)


def test_verify_signature_is_what_receivers_do():
    from shared.lifecycle import webhooks

    body = b'{"id":"whd_1"}'
    now = int(time.time())
    header = webhooks.signature("whsec_x", body, now)
    assert header.startswith(f"t={now},v1=") and check_signature("whsec_x", header, body)
    assert webhooks.verify_signature("whsec_x", header, body)
    assert not webhooks.verify_signature("whsec_x", header, body + b" ")
    assert not webhooks.verify_signature("whsec_y", header, body)
    assert not webhooks.verify_signature("whsec_x", webhooks.signature("whsec_x", body, now - 3600), body)
    for bad in (None, "", "v1=abc", "t=abc,v1=abc", f"t={now}"):
        assert not webhooks.verify_signature("whsec_x", bad, body)
