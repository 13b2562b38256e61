"""An organization's webhook signing secret: made when its `notification_webhook_url` is set
(answered once, as `notification_webhook_secret`), kept in the secret store, its version pinned
on the org record. The deliveries that use it are shared/lifecycle/webhooks.py."""
from __future__ import annotations

import hashlib
import secrets

from shared import secret_store
from shared.orgs import organizations
from shared.orgs.credentials import secret_value
from shared.orgs.records import Organization


def name(org: Organization | str) -> str:
    """Secret store name of an org's signing secret (the org record, or its slug while the record
    exists). Named after the org's slug AND its creation time: an org deleted (its secret with
    it) and created again under the same slug gets a new name, because Key Vault refuses to
    reuse the name of a soft-deleted secret. Hashed, so any slug fits Key Vault's 127 characters."""
    if isinstance(org, str):
        stored = organizations.get(org)
        if stored is None:
            raise LookupError(f"no organization {org!r}: pass the organization record")
        org = stored.doc
    incarnation = f"{org.id}\n{org.created or ''}"
    return "webhook-signing/" + hashlib.sha256(incarnation.encode()).hexdigest()[:40]


def issue(org: Organization) -> tuple[Organization, str]:
    """Makes and stores a new signing secret; answers `org` pinning its version, and the secret (shown once)."""
    value = "whsec_" + secrets.token_urlsafe(32)
    version = secret_store.get_secret_store().set_secret(name(org), value, tags={"organization": org.id, "purpose": "webhook-signing"})
    return org.replace(notification_webhook_secret_version=version.version_id), value


def issue_if_changed(org: Organization, previous: Organization | None = None) -> tuple[Organization, str | None]:
    """When `org` (about to be written) sets `notification_webhook_url` to a new URL, or has no
    signing secret yet: a new signing secret (see `issue`). Setting the URL to null unpins it;
    re-sending the same URL keeps the secret (PATCH of a whole object). Answers `org` as it is to
    be written, and the new secret or None."""
    if not org.notification_webhook_url:
        return org.without("notification_webhook_secret_version"), None
    if previous and previous.notification_webhook_url == org.notification_webhook_url and org.notification_webhook_secret_version:
        return org, None
    return issue(org)


def value(org: Organization) -> str:
    return secret_value(name(org), org.notification_webhook_secret_version)


def delete(org: Organization) -> None:
    secret_store.get_secret_store().delete_secret(name(org))
