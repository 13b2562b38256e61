"""Sign in with Microsoft for any account, as the global key manages it: the setting, whose every
change is an event, and the audit trail of these sign-ins, which belong to no organization.

Their events live where their logins do, in the `~microsoft` partition of `activity`
(shared/shared_app/sign_in_settings.py), in the shape and order (newest first) of an org's:
`sign_in` ok (user, tenant) or failed (the error and why), `redirected` to an organization that
enforces SSO, `groups_overage_unavailable`, and `microsoft_sign_in.updated`.
"""
from __future__ import annotations

from shared.orgs import events
from shared.shared_app import sign_in_settings
from shared.shared_app.sign_in_settings import CONNECTION, PARTITION, MicrosoftSignIn

UPDATED = "microsoft_sign_in.updated"


def save(body: dict) -> MicrosoftSignIn:
    """Replaces the setting and records which fields changed."""
    before = sign_in_settings.current()
    saved = sign_in_settings.save(body)  # makes the partition's marker before the event needs it
    changed = sorted(f for f in sign_in_settings.FIELDS if getattr(before, f) != getattr(saved, f))
    events.record(PARTITION, UPDATED, connection=CONNECTION,
                  detail={"fields": changed, "enabled": saved.enabled, "tenant_type": saved.tenant_type})
    return saved


def list_events(cursor: str | None, limit: int) -> tuple[list[events.Event], str | None]:
    return events.list_events(PARTITION, cursor, limit)
