"""Creating and changing an organization: the record's own rules (shared/orgs/organizations.py),
the sign-in policy that must leave a way in (shared/policy/sign_in_policy.py), and the webhook
signing secret, answered once by the write that made it."""
from __future__ import annotations

from shared.orgs import events, organizations, webhook_secret
from shared.orgs.records import Organization
from shared.policy import sign_in_policy
from shared.storage import tables


def _refuse_lock_out(org: Organization, changed_fields) -> None:
    """400 `policy_locks_out` when a change to the sign-in policy fields leaves the org with no
    way in. Changes to other fields are not held up by it."""
    if sign_in_policy.LOCK_OUT_FIELDS & set(changed_fields):
        sign_in_policy.refuse_lock_out(org)


def create(body: dict) -> tuple[tables.Stored[Organization], str | None]:
    """The new org as stored, and its webhook signing secret when it has a webhook URL."""
    org = organizations.new_organization(body)
    _refuse_lock_out(org, body)
    org, secret = webhook_secret.issue_if_changed(org)  # before the record that pins it
    stored = organizations.insert(org)
    events.record(org.id, "organization.created")
    return stored, secret


def update(stored: tables.Stored[Organization], body: dict, if_match: str | None) -> tuple[tables.Stored[Organization], str | None]:
    changes = organizations.clean_fields(body)
    updated = stored.doc.replace(**changes)
    _refuse_lock_out(updated, changes)
    organizations.refuse_unknown_default(updated, changes)
    tables.check_if_match(if_match, stored.etag)
    secret = None
    if "notification_webhook_url" in changes:
        updated, secret = webhook_secret.issue_if_changed(updated, stored.doc)
    saved = organizations.save(updated, stored.etag)
    events.record(updated.id, "organization.updated", detail={"fields": sorted(changes), "webhook_secret_issued": secret is not None})
    return saved, secret
