"""An organization's partition of the `activity` table (login states, codes, events, outbox,
expiry markers), and the guard that ends every write to it the moment the org is deleted.

Instances cache organization and connection records for seconds, so deleting an org's records
does not stop another instance from signing its users in. What every instance does see at once
is storage. So the partition holds a marker row, `organization`, made with the org, and every
write to the partition goes through `transact`, which adds an operation on the marker:
an update with If-Match `*`. That fails when the marker does not exist, and never conflicts with
concurrent writers (it matches any version). Deletion removes the marker first
(shared/admin/organization_deletion.py): from then on every write, on every instance, fails, and
nothing lands in the partition after it has been emptied.

Organizations created before the marker existed have none, and their records lack
`GUARD_FIELD`: their writes, on finding no marker, read the org record (uncached) and go on
without the guard while it exists and is not guarded. Deleting such an org first sets the field
(so those fallbacks stop), then proceeds as for any other org; the one gap left is a write whose
uncached read came just before that.
"""
from __future__ import annotations

from shared.platform.errors import SsoError
from shared.storage import tables

TABLE = "activity"
MARKER_ROW = "organization"
GUARD_FIELD = "activity_guarded"  # on the org record: its partition has (or had) the marker
_MARKER_DOC = {"kind": "organization-marker"}


class OrganizationGone(SsoError):
    """The org was deleted (or is being deleted): nothing may be written for it any more."""

    def __init__(self, organization: str):
        super().__init__("unknown_organization", f"The organization {organization!r} was deleted; nothing can be done for it any more.")


def marker_op() -> tables.Op:
    """The operation that makes a transaction fail once the org's marker is gone."""
    return tables.Op("update", MARKER_ROW, _MARKER_DOC, etag="*")


def create_marker(organization: str) -> None:
    try:
        tables.insert(TABLE, organization, MARKER_ROW, _MARKER_DOC)
    except tables.AlreadyExists:
        pass  # made by an earlier, failed attempt to create the org


def delete_marker(organization: str) -> None:
    tables.delete(TABLE, organization, MARKER_ROW)


def transact(organization: str, ops: list[tables.Op]) -> None:
    """`tables.transact` on the org's partition, only while the org exists. Raises what it
    raises, or OrganizationGone."""
    try:
        tables.transact(TABLE, organization, [*ops, marker_op()])
        return
    except tables.EtagMismatch:
        if tables.get(TABLE, organization, MARKER_ROW) is not None:
            raise  # one of the caller's own conditions failed
    org = tables.get("organizations", organization, "organization")
    if org is None or org.doc.get(GUARD_FIELD):
        raise OrganizationGone(organization)
    tables.transact(TABLE, organization, ops)  # an org from before the marker (see above)


def insert(organization: str, row_key: str, doc: dict, indexed: dict | None = None) -> None:
    transact(organization, [tables.Op("create", row_key, doc, indexed=indexed)])
