"""check_expiry warns about a directory's Secret Token (60/30/7/1 days, expired) once per
threshold, with an event and the org's signed webhook; the directory's changes reach the feed
and the same webhook."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.directory.conftest import GROUP_SCHEMA, patch_body, user_body
from tests.lifecycle.helpers import events_of, org_doc, org_with_webhook
from tests.lifecycle.receiver import check_signature, receiver  # noqa: F401 (the fixture)


def test_token_expiry_warns_once_per_threshold(admin, new_directory, receiver):
    from shared.lifecycle import expiry_checks

    org, webhook_secret = org_with_webhook(admin, receiver.url)
    in_twenty = (datetime.now(timezone.utc).date() + timedelta(days=20)).isoformat()
    directory = new_directory(org=org, token_expires_on=in_twenty)
    now = datetime.now(timezone.utc)
    counts = expiry_checks.check_organization(org_doc(org), now)
    assert counts["warnings"] == 1 and counts["delivered"] == 1, counts
    [event] = events_of(admin, org, "credential.expiring")
    assert (event["detail"]["credential"], event["detail"]["directory"], event["detail"]["threshold"]) == ("scim_token", directory.id, "30")
    [delivery] = receiver.deliveries
    assert check_signature(webhook_secret, delivery.headers["entra-sso-signature"], delivery.body)
    assert delivery.payload["data"]["directory"] == directory.id
    assert expiry_checks.check_organization(org_doc(org), now)["warnings"] == 0  # once
    for days_later, expected in ((14, "7"), (20, "1"), (21, "expired")):
        later = now + timedelta(days=days_later)
        assert expiry_checks.check_organization(org_doc(org), later)["warnings"] == 1
        assert expiry_checks.check_organization(org_doc(org), later)["warnings"] == 0
        assert receiver.deliveries[-1].payload["data"]["threshold"] == expected
    assert events_of(admin, org, "credential.expired")[0]["error"] == "scim_token_expired"
    # a new token starts afresh
    admin.post(f"/api/organizations/{org}/directories/{directory.id}/token", json={"token_expires_on": in_twenty})
    assert expiry_checks.check_organization(org_doc(org), now)["warnings"] == 1


def test_changes_reach_the_feed_in_order_and_the_webhook(admin, new_directory, receiver):
    from shared.lifecycle import webhooks

    org, webhook_secret = org_with_webhook(admin, receiver.url)
    directory = new_directory(org=org)
    user = directory.scim.post("/Users", json=user_body("ada@contoso.com")).json()
    group = directory.scim.post("/Groups", json={"schemas": [GROUP_SCHEMA], "displayName": "G"}).json()
    directory.scim.patch(f"/Groups/{group['id']}", json=patch_body({"op": "Add", "path": "members", "value": [{"value": user["id"]}]}))
    directory.scim.patch(f"/Users/{user['id']}", json=patch_body({"op": "Replace", "path": "displayName", "value": "Ada"}))
    directory.scim.patch(f"/Groups/{group['id']}", json=patch_body({"op": "Remove", "path": f'members[value eq "{user["id"]}"]'}))
    directory.scim.patch(f"/Groups/{group['id']}", json=patch_body({"op": "Replace", "path": "displayName", "value": "H"}))
    directory.scim.patch(f"/Users/{user['id']}", json=patch_body({"op": "Replace", "path": "active", "value": "False"}))
    directory.scim.delete(f"/Users/{user['id']}")
    directory.scim.delete(f"/Groups/{group['id']}")
    expected = ["user.created", "group.created", "group.user_added", "user.updated", "group.user_removed", "group.updated",
                "user.deactivated", "user.deleted", "group.deleted"]
    feed_url = f"/api/organizations/{org}/directories/{directory.id}/events"
    seen, after = [], None
    while True:
        page = admin.get(feed_url, params={"limit": 2, **({"after": after} if after else {})}).json()
        if not page["items"]:
            break
        seen += page["items"]
        after = page["next"]
    assert [e["type"] for e in seen] == expected
    assert seen[2]["data"]["user"]["id"] == user["id"] and seen[2]["data"]["group"]["id"] == group["id"]
    assert admin.get(feed_url, params={"after": "nonsense"}).status_code == 400
    # the same events, signed, to the org's webhook
    webhooks.deliver_pending(org_doc(org))
    assert [d.payload["type"] for d in receiver.deliveries] == expected
    assert all(check_signature(webhook_secret, d.headers["entra-sso-signature"], d.body) for d in receiver.deliveries)
