"""Invitations: the emails an `invite_only` organization admits (the SaaS app registers them).

Stored in the `organizations` table beside the org, partition = org slug, row
`invite_<sha256 of the lowercase email>`, so checking one at sign-in is a point read. The
invitation's `id` is `inv_` + that hash: it names the invitation in URLs without putting an
email address in a path. An invitation remembers the org's `created`: an org deleted and made
again under the same slug does not inherit the old one's invitations.
"""

import hashlib

from shared.orgs import events
from shared.orgs.records import Organization
from shared.platform import validation as v
from shared.platform.errors import SsoError
from shared.platform.timestamps import iso
from shared.storage import tables
from shared.storage.record import Record, internal

TABLE = "organizations"
ROW_PREFIX = "invite_"
ID_PREFIX = "inv_"
MAX_PAGE = 100
CREATE_FIELDS = frozenset({"email"})


class Invitation(Record):
    id: str  # ID_PREFIX + the hash in the row key
    email: str
    organization: str = internal()
    org_created: str | None = internal()  # the inviting org's `created`
    created: str


def _hash(email: str) -> str:
    return hashlib.sha256(email.encode("utf-8")).hexdigest()


def _normal(email: str) -> str:
    return email.strip().lower()


def _live(stored: tables.Stored | None, org: Organization) -> tables.Stored[Invitation] | None:
    """The invitation read, when it was made by this incarnation of the org."""
    if stored is None:
        return None
    typed = stored.typed(Invitation.from_stored)
    return typed if typed.doc.org_created == org.created else None


def _read(org: Organization, row_key: str) -> tables.Stored[Invitation] | None:
    return _live(tables.get(TABLE, org.id, row_key), org)


def create(org: Organization, body: dict) -> tuple[dict, bool]:
    """Invites an email; inviting it again answers the existing invitation (created False)."""
    if "email" not in body:
        raise SsoError("missing_field", "`email` is required.")
    email = v.email("email", body["email"])
    digest = _hash(email)
    row_key = ROW_PREFIX + digest
    invitation = Invitation(id=ID_PREFIX + digest, email=email, organization=org.id, org_created=org.created, created=iso())
    try:
        tables.insert(TABLE, org.id, row_key, invitation.to_stored())
    except tables.AlreadyExists:
        existing = tables.get(TABLE, org.id, row_key)
        live = _live(existing, org)
        if live is not None:
            return live.doc.public(), False
        try:  # left by a deleted org of the same slug
            if existing is None:
                tables.insert(TABLE, org.id, row_key, invitation.to_stored())
            else:
                tables.replace(TABLE, org.id, row_key, invitation.to_stored(), existing.etag)
        except (tables.AlreadyExists, tables.EtagMismatch):
            raise SsoError("conflict", "The invitation changed while it was being made; send the request again.") from None
    events.record(org.id, "invitation.created", detail={"invitation": invitation.id})
    return invitation.public(), True


def list_invitations(org: Organization, cursor: str | None, limit: int = 50) -> tuple[list[dict], str | None]:
    items, next_cursor = tables.query_page(
        TABLE, tables.PREFIX_FILTER, {"partition": org.id, **tables.prefix_range(ROW_PREFIX)}, page_size=max(1, min(limit, MAX_PAGE)), cursor=cursor,
    )
    invitations = (Invitation.from_stored(item.doc) for item in items)
    return [invitation.public() for invitation in invitations if invitation.org_created == org.created], next_cursor


def _row_for_id(invitation_id: str) -> str:
    digest = invitation_id[len(ID_PREFIX):] if invitation_id.startswith(ID_PREFIX) else ""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise SsoError("not_found", "No such invitation; check the id.")
    return ROW_PREFIX + digest


def require(org: Organization, invitation_id: str) -> tables.Stored[Invitation]:
    stored = _read(org, _row_for_id(invitation_id))
    if stored is None:
        raise SsoError("not_found", "No such invitation; check the id.")
    return stored


def remove(org: Organization, invitation_id: str) -> None:
    stored = require(org, invitation_id)
    try:
        tables.delete(TABLE, org.id, stored.row_key, etag=stored.etag)
    except tables.EtagMismatch:
        pass  # removed (or re-made) meanwhile
    events.record(org.id, "invitation.revoked", detail={"invitation": stored.doc.id})


def is_invited(org: Organization, email: str) -> bool:
    return _read(org, ROW_PREFIX + _hash(_normal(email))) is not None
