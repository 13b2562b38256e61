"""The every-minute deliver_webhooks timer: a SCIM change reaches the org's webhook at its next
run (not the next daily check_expiry), signed; a failing receiver is retried at the backoff's
time; the timer visits the orgs marked due, and only those."""
from __future__ import annotations

from datetime import timedelta

from tests.directory.conftest import user_body
from tests.lifecycle.helpers import org_with_webhook
from tests.lifecycle.receiver import check_signature, receiver  # noqa: F401 (the fixture)


def run_timer(stack, key: str | None = None):
    import requests

    return requests.post(f"{stack.base_url}/admin/functions/deliver_webhooks", json={"input": ""},
                         headers={"x-functions-key": key or stack.bootstrap_key}, timeout=120)


def _due_row(org: str):
    from shared.lifecycle import webhook_due
    from shared.storage import tables

    return tables.get(webhook_due.TABLE, webhook_due.PARTITION, org)


def _mine(receiver, org: str) -> list:
    return [d for d in receiver.deliveries if d.payload["organization"] == org]


def test_a_scim_create_reaches_the_webhook_at_the_next_timer_run(stack, admin, new_directory, receiver):
    from shared.lifecycle import webhooks

    org, webhook_secret = org_with_webhook(admin, receiver.url)
    directory = new_directory(org=org)
    created = directory.scim.post("/Users", json=user_body("ada@contoso.com"))
    assert created.status_code == 201, created.text
    assert _due_row(org) is not None, "the SCIM change marks the org as having deliveries due"
    assert _mine(receiver, org) == [], "nothing is sent before the timer runs"

    assert run_timer(stack, "wrong").status_code == 401
    assert run_timer(stack).status_code == 202
    [delivery] = _mine(receiver, org)
    assert check_signature(webhook_secret, delivery.headers["entra-sso-signature"], delivery.body)
    assert delivery.payload["type"] == "user.created"
    assert delivery.payload["data"]["directory"] == directory.id
    assert (delivery.payload["data"]["id"], delivery.payload["data"]["user_name"]) == (created.json()["id"], "ada@contoso.com")
    assert delivery.headers["entra-sso-delivery"] == delivery.payload["id"]
    assert webhooks.pending(org) == [] and _due_row(org) is None, "a drained outbox leaves no due row"

    assert run_timer(stack).status_code == 202
    assert len(_mine(receiver, org)) == 1, "delivered once"


def test_a_failing_receiver_is_retried_at_the_backoffs_time(stack, admin, new_directory, receiver):
    from shared.lifecycle import webhook_delivery, webhooks
    from shared.platform.timestamps import parse_iso

    org, webhook_secret = org_with_webhook(admin, receiver.url)
    directory = new_directory(org=org)
    receiver.statuses = [503]
    assert directory.scim.post("/Users", json=user_body("grace@contoso.com")).status_code == 201
    assert run_timer(stack).status_code == 202
    [first] = _mine(receiver, org)
    [row] = webhooks.pending(org)
    assert (row.doc.attempts, row.doc.last_error) == (1, "HTTP 503")
    retry_at = parse_iso(row.doc.next_attempt_at)
    assert parse_iso(_due_row(org).doc["due_at"]) == retry_at, "the due row moves to the retry's time"

    assert run_timer(stack).status_code == 202
    assert len(_mine(receiver, org)) == 1, "not retried before its time"

    totals = webhook_delivery.run(now=retry_at + timedelta(seconds=1))
    assert totals["delivered"] >= 1, totals
    first_id, [_, second] = first.payload["id"], _mine(receiver, org)
    assert second.payload["id"] == first_id and second.body == first.body, "the same notification, sent again"
    assert check_signature(webhook_secret, second.headers["entra-sso-signature"], second.body)
    assert webhooks.pending(org) == [] and _due_row(org) is None


def test_the_timer_visits_only_orgs_marked_due(stack, admin, receiver):
    from shared.lifecycle import webhook_delivery, webhook_due, webhooks
    from shared.storage import activity

    org, _ = org_with_webhook(admin, receiver.url)
    activity.transact(org, [webhooks.outbox_op(org, "test.unmarked", {})])  # an outbox row nobody marked
    webhook_delivery.run()
    assert _mine(receiver, org) == [], "an org not marked due is not visited"
    webhook_due.mark(org)
    webhook_delivery.run()
    assert [d.payload["type"] for d in _mine(receiver, org)] == ["test.unmarked"]

    gone, _ = org_with_webhook(admin, receiver.url)
    webhook_due.mark(gone)
    assert admin.delete(f"/api/organizations/{gone}").status_code == 204
    webhook_delivery.run()
    assert _due_row(gone) is None, "a deleted org's due row is dropped"


def test_a_mark_made_while_a_run_drains_is_not_lost(stack, admin, receiver):
    from shared.lifecycle import webhook_due

    org, _ = org_with_webhook(admin, receiver.url)
    webhook_due.mark(org)
    [entry] = [e for e in webhook_due.due() if e.organization == org]  # a run reads the due row, drains the outbox...
    webhook_due.mark(org)  # ...while a SCIM change queues a notification and marks the org again
    webhook_due.settle(entry, None)  # the run found its outbox empty
    assert _due_row(org) is not None, "the newer mark stands, so the next run sends the new notification"
