"""Invitations: the emails an `invite_only` organization admits (the SaaS app registers them).

Stored in the `organizations` table beside the org, partition = org slug, row
`invite_<sha256 of the lowercase email>`, so checking one at sign-in is a point read. The
invitation's `id` is `inv_` + that hash: it names the invitation in URLs without putting an
email address in a path. An invitation remembers the org's `created`: an org deleted and made
again under the same slug does not inherit the old one's invitations.
"""
from __future__ import annotations

import hashlib

from shared.orgs import events
from shared.platform import validation as v
from shared.platform.errors import SsoError
from shared.platform.timestamps import iso
from shared.storage import tables

TABLE = "organizations"
ROW_PREFIX = "invite_"
ID_PREFIX = "inv_"
MAX_PAGE = 100
CREATE_FIELDS = frozenset({"email"})


def _hash(email: str) -> str:
    return hashlib.sha256(email.encode("utf-8")).hexdigest()


def _normal(email: str) -> str:
    return email.strip().lower()


def _live(doc: dict, org: dict) -> bool:
    return doc.get("org_created") == org.get("created")


def public_view(doc: dict) -> dict:
    return {"id": doc["id"], "email": doc["email"], "created": doc["created"]}


def create(org: dict, body: dict) -> tuple[dict, bool]:
    """Invites an email; inviting it again answers the existing invitation (created False)."""
    if "email" not in body:
        raise SsoError("missing_field", "`email` is required.")
    email = v.email("email", body["email"])
    digest = _hash(email)
    doc = {"id": ID_PREFIX + digest, "email": email, "organization": org["id"], "org_created": org.get("created"),
           "created": iso()}
    try:
        tables.insert(TABLE, org["id"], ROW_PREFIX + digest, doc)
    except tables.AlreadyExists:
        existing = tables.get(TABLE, org["id"], ROW_PREFIX + digest)
        if existing is not None and _live(existing.doc, org):
            return public_view(existing.doc), False
        try:  # left by a deleted org of the same slug
            if existing is None:
                tables.insert(TABLE, org["id"], ROW_PREFIX + digest, doc)
            else:
                tables.replace(TABLE, org["id"], ROW_PREFIX + digest, doc, existing.etag)
        except (tables.AlreadyExists, tables.EtagMismatch):
            raise SsoError("conflict", "The invitation changed while it was being made; send the request again.") from None
    events.record(org["id"], "invitation.created", detail={"invitation": doc["id"]})
    return public_view(doc), True


def list_invitations(org: dict, cursor: str | None, limit: int = 50) -> tuple[list[dict], str | None]:
    items, next_cursor = tables.query_page(
        TABLE, tables.PREFIX_FILTER, {"partition": org["id"], **tables.prefix_range(ROW_PREFIX)}, page_size=max(1, min(limit, MAX_PAGE)), cursor=cursor,
    )
    return [public_view(item.doc) for item in items if _live(item.doc, org)], next_cursor


def _row_for_id(invitation_id: str) -> str:
    digest = invitation_id[len(ID_PREFIX):] if invitation_id.startswith(ID_PREFIX) else ""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise SsoError("not_found", "No such invitation; check the id.")
    return ROW_PREFIX + digest


def require(org: dict, invitation_id: str) -> tables.Stored:
    stored = tables.get(TABLE, org["id"], _row_for_id(invitation_id))
    if stored is None or not _live(stored.doc, org):
        raise SsoError("not_found", "No such invitation; check the id.")
    return stored


def remove(org: dict, invitation_id: str) -> None:
    stored = require(org, invitation_id)
    try:
        tables.delete(TABLE, org["id"], stored.row_key, etag=stored.etag)
    except tables.EtagMismatch:
        pass  # removed (or re-made) meanwhile
    events.record(org["id"], "invitation.revoked", detail={"invitation": stored.doc["id"]})


def is_invited(org: dict, email: str) -> bool:
    stored = tables.get(TABLE, org["id"], ROW_PREFIX + _hash(_normal(email)))
    return stored is not None and _live(stored.doc, org)
