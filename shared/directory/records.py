"""What a directory stores, in the `directories` table, one partition per directory:

    directory                  the Directory (its token's hash, its organization)
    u_<id> / g_<id>            a user / a group (its SCIM JSON as validated)
    un_<h> / ue_<h> / ge_<h>   unique index rows: userName (case-insensitive), externalId -> id
    em_<h>_<id>                index rows: an email -> user
    gn_<h>                     a group displayName -> the ids of the groups that have it
    m_<group>_<user>           a membership, and ug_<user>_<group> the same seen from the user
    ev_<time>_<rand>           the directory's event feed, oldest first

<h> is SHA-256 of the value (any text becomes a valid row key of fixed length)."""

from typing import Literal

from shared.storage.record import Record, internal

Status = Literal["active"]


class Directory(Record):
    id: str
    organization: str
    name: str
    connection: str | None = None
    status: Status = "active"
    token_expires_on: str  # YYYY-MM-DD, the end of that day UTC
    # Which SCIM attribute carries the Entra object id (Entra's mappings send it only when the
    # admin maps objectId, e.g. to externalId); None: sign-in matches on userName = UPN.
    idp_id_attribute: Literal["externalId"] | None = None
    created: str
    updated: str
    token_hash: str = internal()  # SHA-256 of the token, hex: never answered
    token_version: int = internal(1)  # counts issued tokens (expiry warnings are per token)
    previous_token_hash: str | None = internal()  # still accepted until previous_token_valid_until
    previous_token_valid_until: str | None = internal()
    token_guards: bool = internal(False)  # its tokens have guard rows (shared/directory/token_guard.py)


class DirectoryUser(Record):
    id: str
    scim: dict  # the SCIM User as validated (no id/meta)
    sso_required: bool = False
    created: str
    updated: str


class DirectoryGroup(Record):
    id: str
    scim: dict  # the SCIM Group as validated (no id/meta/members)
    # Written with every member change, so the group's ETag (meta.version) follows its members and
    # the size limit needs no read of them. A user's hard delete leaves it high: it is an upper
    # bound, counted again before it would refuse an add (groups.py).
    member_count: int = internal(0)
    created: str
    updated: str


class DirectoryEvent(Record):
    id: str
    type: str
    directory: str
    occurred_at: str
    data: dict
