"""Overlapping check_expiry runs on two instances deliver each notification exactly once; a run
that dies holding a delivery loses nothing (its lease runs out and a later run sends it)."""
from __future__ import annotations

import secrets
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import ApiClient
from tests.flows.helpers import create_oidc_connection, register_oidc_app
from tests.lifecycle.receiver import check_signature, start_receiver

RACERS = 20


@pytest.fixture
def receiver():
    started = start_receiver()
    yield started
    started.stop()


def _org_with_expiring_secrets(stack, admin, url: str, connections: int) -> tuple[str, str]:
    slug = "org-" + secrets.token_hex(5)
    created = admin.post("/api/organizations", json={"id": slug, "name": slug, "redirect_uris": ["https://app.example.com/callback"],
                                                     "notification_webhook_url": url})
    assert created.status_code == 201, created.text
    expires = (datetime.now(timezone.utc).date() + timedelta(days=6)).isoformat()
    for _ in range(connections):
        create_oidc_connection(admin, slug, register_oidc_app(stack), client_secret_expires_on=expires)
    return slug, created.json()["notification_webhook_secret"]


def _run_check_expiry(host_url: str, key: str):
    return ApiClient(host_url, None).post("/admin/functions/check_expiry", json={"input": ""}, headers={"x-functions-key": key}, timeout=120)


def test_simultaneous_runs_on_two_instances_deliver_each_notification_once(stack, admin, host_b, receiver):
    from shared.lifecycle import webhooks

    orgs = [_org_with_expiring_secrets(stack, admin, receiver.url, connections=2) for _ in range(3)]
    barrier = threading.Barrier(RACERS)
    statuses: list[int] = []

    def racer(index: int) -> None:
        host = stack.base_url if index % 2 else host_b.base_url
        barrier.wait()
        statuses.append(_run_check_expiry(host, stack.bootstrap_key).status_code)

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(statuses) == RACERS and all(status < 500 for status in statuses), statuses
    ours = {slug for slug, _ in orgs}
    mine = [d for d in receiver.deliveries if d.payload["organization"] in ours]
    per_id = Counter(d.headers["entra-sso-delivery"] for d in mine)
    assert len(per_id) == 6, f"one notification per expiring secret: {per_id}"
    assert set(per_id.values()) == {1}, f"each delivery id sent exactly once: {per_id}"
    assert all(d.payload["id"] == d.headers["entra-sso-delivery"] for d in mine)
    secrets_of = dict(orgs)
    assert all(check_signature(secrets_of[d.payload["organization"]], d.headers["entra-sso-signature"], d.body) for d in mine)
    assert all(webhooks.pending(slug) == [] for slug in ours)


def test_a_run_that_dies_after_claiming_loses_nothing(stack, admin, receiver):
    from shared.lifecycle import expiry_checks, webhooks
    from shared.orgs import organizations
    from shared.storage import tables

    org, _ = _org_with_expiring_secrets(stack, admin, receiver.url, connections=1)
    receiver.statuses = [500]  # the first attempt fails, so the row stays in the outbox
    doc = organizations.get(org).doc
    expiry_checks.check_organization(doc)
    [row] = webhooks.pending(org)
    due = datetime.fromisoformat(row.doc.next_attempt_at) + timedelta(minutes=1)

    claimed = webhooks._claim(row)  # a run claims the delivery, then its process dies
    assert claimed is not None and webhooks._claim(row) is None, "a claimed row cannot be claimed again"
    assert expiry_checks.check_organization(doc, due)["delivered"] == 0, "the lease holds against other runs"
    assert len(receiver.deliveries) == 1

    lapsed = claimed.doc.replace(claimed_until=(datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat())
    tables.replace("activity", row.partition_key, row.row_key, lapsed.to_stored(), claimed.etag)  # the dead run's lease runs out
    assert expiry_checks.check_organization(doc, due)["delivered"] == 1
    assert len({d.payload["id"] for d in receiver.deliveries}) == 1 and len(receiver.deliveries) == 2
    assert webhooks.pending(org) == []
