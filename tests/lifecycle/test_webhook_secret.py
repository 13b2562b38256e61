"""The per-organization webhook signing secret: made when `notification_webhook_url` is set,
answered that once, kept in the secret store, never shown again."""
from __future__ import annotations

import secrets

from tests.lifecycle.receiver import start_receiver


def _create(admin, **fields):
    slug = "org-" + secrets.token_hex(5)
    return slug, admin.post("/api/organizations", json={"id": slug, "name": slug, "redirect_uris": ["https://app.example.com/cb"], **fields})


def _stored_secret(slug: str) -> str:
    from shared.orgs import organizations, webhook_secret
    from shared.secret_store import get_secret_store

    doc = organizations.get(slug).doc
    assert webhook_secret.name(doc) == webhook_secret.name(slug)
    return get_secret_store().get_secret(webhook_secret.name(doc), doc.notification_webhook_secret_version).value


def test_the_secret_is_answered_once_and_kept_in_the_secret_store(admin):
    slug, created = _create(admin, notification_webhook_url="https://hooks.example.com/entra-sso")
    assert created.status_code == 201, created.text
    secret = created.json()["notification_webhook_secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert "notification_webhook_secret_version" not in created.json()
    assert _stored_secret(slug) == secret

    got = admin.get(f"/api/organizations/{slug}")
    assert secret not in got.text and "notification_webhook_secret" not in got.json()
    renamed = admin.patch(f"/api/organizations/{slug}", json={"name": "renamed"})
    assert "notification_webhook_secret" not in renamed.json() and "notification_webhook_secret_version" not in renamed.json()
    same = admin.patch(f"/api/organizations/{slug}", json={"notification_webhook_url": "https://hooks.example.com/entra-sso"})
    assert "notification_webhook_secret" not in same.json(), "re-sending the same URL keeps the secret"
    assert _stored_secret(slug) == secret

    moved = admin.patch(f"/api/organizations/{slug}", json={"notification_webhook_url": "https://hooks.example.com/v2"})
    new_secret = moved.json()["notification_webhook_secret"]
    assert new_secret != secret and _stored_secret(slug) == new_secret
    events = admin.get(f"/api/organizations/{slug}/events").json()["items"]
    assert events[0]["detail"]["webhook_secret_issued"] is True and new_secret not in str(events)

    cleared = admin.patch(f"/api/organizations/{slug}", json={"notification_webhook_url": None})
    assert cleared.status_code == 200 and "notification_webhook_secret" not in cleared.json()
    from shared.orgs import organizations

    assert "notification_webhook_secret_version" not in organizations.get(slug).doc.to_stored()
    again = admin.patch(f"/api/organizations/{slug}", json={"notification_webhook_url": "https://hooks.example.com/v2"})
    assert again.json()["notification_webhook_secret"] not in (secret, new_secret)


def test_no_url_no_secret_and_bad_urls_are_refused(admin):
    slug, created = _create(admin)
    assert created.status_code == 201 and "notification_webhook_secret" not in created.json()
    for bad in ("http://hooks.example.com/x", "ftp://hooks.example.com/x", "https://user:pw@hooks.example.com/", "not a url"):
        refused = admin.patch(f"/api/organizations/{slug}", json={"notification_webhook_url": bad})
        assert (refused.status_code, refused.json()["error"]) == (400, "invalid_field"), bad
    assert _create(admin, notification_webhook_url="http://hooks.example.com/x")[1].status_code == 400


def test_a_failed_write_does_not_answer_a_secret(admin):
    slug, created = _create(admin, notification_webhook_url="https://hooks.example.com/a")
    stale = admin.patch(f"/api/organizations/{slug}", json={"notification_webhook_url": "https://hooks.example.com/b"},
                        headers={"If-Match": 'W/"stale"'})
    assert stale.status_code == 409 and "notification_webhook_secret" not in stale.json()
    assert _stored_secret(slug) == created.json()["notification_webhook_secret"]


def test_loopback_http_receivers_work_in_development(admin):
    receiver = start_receiver()
    try:
        slug, created = _create(admin, notification_webhook_url=receiver.url)
        assert created.status_code == 201 and created.json()["notification_webhook_secret"]
    finally:
        receiver.stop()


def test_an_org_made_again_under_the_same_slug_gets_a_new_secret_name(admin):
    """Key Vault keeps a deleted secret's name (soft delete): it cannot be reused."""
    from shared.orgs import webhook_secret
    from shared.orgs.records import Organization

    first = Organization(id="org-same", name="Same", redirect_uris=["https://app.example/cb"], created="2026-01-01T00:00:00Z")
    again = first.replace(created="2026-03-01T00:00:00Z")
    assert webhook_secret.name(first) != webhook_secret.name(again)
    assert webhook_secret.name(first) == webhook_secret.name(Organization.from_stored(first.to_stored()))
