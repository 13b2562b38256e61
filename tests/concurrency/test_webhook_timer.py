"""Twenty simultaneous deliver_webhooks runs through the dev host send each directory event to
the org's webhook exactly once (each outbox row is claimed by one run)."""
from __future__ import annotations

from collections import Counter

from tests.concurrency.racing import no_server_errors, race
from tests.directory.conftest import GROUP_SCHEMA, new_directory, patch_body, user_body  # noqa: F401 (new_directory: a fixture)
from tests.lifecycle.helpers import org_with_webhook
from tests.lifecycle.receiver import check_signature, receiver  # noqa: F401 (the fixture)


def test_twenty_simultaneous_timer_runs_deliver_each_event_once(stack, admin, new_directory, receiver):
    from shared.lifecycle import webhooks

    org, webhook_secret = org_with_webhook(admin, receiver.url)
    directory = new_directory(org=org)
    users = [directory.scim.post("/Users", json=user_body(f"user{i}@contoso.com")).json()["id"] for i in range(4)]
    group = directory.scim.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "Staff"}).json()["id"]
    added = directory.scim.patch(f"/Groups/{group}", json=patch_body({"op": "Add", "path": "members", "value": [{"value": u} for u in users]}))
    assert added.status_code in (200, 204), added.text
    queued = [row.doc.id for row in webhooks.pending(org)]
    assert len(queued) == 4 + 1 + 4, queued  # user.created x4, group.created, group.user_added x4

    responses = race(stack, lambda i, s: s.post("/admin/functions/deliver_webhooks", json={"input": ""},
                                                headers={"x-functions-key": stack.bootstrap_key}, timeout=120))
    no_server_errors(responses)
    assert {r.status_code for r in responses} == {202}
    mine = [d for d in receiver.deliveries if d.payload["organization"] == org]
    per_id = Counter(d.headers["entra-sso-delivery"] for d in mine)
    assert sorted(per_id) == sorted(queued), "every queued event was sent"
    assert set(per_id.values()) == {1}, f"each exactly once: {per_id}"
    assert all(check_signature(webhook_secret, d.headers["entra-sso-signature"], d.body) for d in mine)
    assert webhooks.pending(org) == []
