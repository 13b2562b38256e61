"""An organization's webhook signing secret: made when its `notification_webhook_url` is set
(answered once, as `notification_webhook_secret`), kept in the secret store, its version pinned
on the org record. The deliveries that use it are shared/lifecycle/webhooks.py."""
from __future__ import annotations

import hashlib
import secrets

from shared import secret_store
from shared.orgs import organizations
from shared.orgs.credentials import secret_value


def name(org: dict | str) -> str:
    """Secret store name of an org's signing secret (the org record, or its slug while the record
    exists). Named after the org's slug AND its creation time: an org deleted (its secret with
    it) and created again under the same slug gets a new name, because Key Vault refuses to
    reuse the name of a soft-deleted secret. Hashed, so any slug fits Key Vault's 127 characters."""
    if isinstance(org, str):
        stored = organizations.get(org)
        if stored is None:
            raise LookupError(f"no organization {org!r}: pass the organization record")
        org = stored.doc
    incarnation = f"{org['id']}\n{org.get('created', '')}"
    return "webhook-signing/" + hashlib.sha256(incarnation.encode()).hexdigest()[:40]


def issue(org: dict) -> str:
    """Makes and stores a new signing secret, pins its version on `org`; returns it (shown once)."""
    value = "whsec_" + secrets.token_urlsafe(32)
    version = secret_store.get_secret_store().set_secret(name(org), value, tags={"organization": org["id"], "purpose": "webhook-signing"})
    org["notification_webhook_secret_version"] = version.version_id
    return value


def issue_if_changed(org: dict, previous: dict | None = None) -> str | None:
    """When `org` (about to be written) sets `notification_webhook_url` to a new URL, or has no
    signing secret yet: a new signing secret (see `issue`). Setting the URL to null unpins it;
    re-sending the same URL keeps the secret (PATCH of a whole object)."""
    if not org.get("notification_webhook_url"):
        org.pop("notification_webhook_secret_version", None)
        return None
    if previous and previous.get("notification_webhook_url") == org["notification_webhook_url"] and org.get("notification_webhook_secret_version"):
        return None
    return issue(org)


def value(org: dict) -> str:
    return secret_value(name(org), org["notification_webhook_secret_version"])


def delete(org: dict) -> None:
    secret_store.get_secret_store().delete_secret(name(org))
