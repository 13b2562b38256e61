"""Index rows of users and groups: which rows a resource's SCIM JSON needs, and the transaction
operations that move a resource from one set of index rows to another (same partition, so the
resource and its index rows change together or not at all)."""
from __future__ import annotations

from shared.directory import keys
from shared.storage import tables

MAX_INDEXED_EMAILS = 10


def user_rows(user_id: str, scim: dict) -> dict[str, dict]:
    rows = {keys.user_name(scim["userName"]): {"id": user_id}}
    if isinstance(scim.get("externalId"), str):
        rows[keys.user_external_id(scim["externalId"])] = {"id": user_id}
    for email in (scim.get("emails") or [])[:MAX_INDEXED_EMAILS]:
        if isinstance(email.get("value"), str):
            kind = (email.get("type") or "").lower()
            rows[f"{keys.email_prefix(email['value'])}{user_id}_{keys.h(kind)[:8]}"] = {"id": user_id, "type": kind}
    return rows


def group_rows(group_id: str, scim: dict) -> dict[str, dict]:
    """A group's unique row (its displayName's row is shared: group_names.py)."""
    rows = {}
    if isinstance(scim.get("externalId"), str):
        rows[keys.group_external_id(scim["externalId"])] = {"id": group_id}
    return rows


def changes(old: dict[str, dict], new: dict[str, dict]) -> list[tables.Op]:
    """Deletes the rows no longer needed and creates the new ones (a taken unique row fails the
    transaction: AlreadyExists). A row's content follows from its key, so a kept row is unchanged."""
    ops = [tables.Op("delete", key) for key in old if key not in new]
    return ops + [tables.Op("create", key, doc) for key, doc in new.items() if key not in old]


def unique_taken(user: bool, scim: dict, own_id: str | None, directory_id: str) -> str | None:
    """Which unique attribute of `scim` another resource holds (after a failed insert)."""
    checks = [("userName", keys.user_name(scim["userName"]))] if user else []
    if isinstance(scim.get("externalId"), str):
        checks.append(("externalId", (keys.user_external_id if user else keys.group_external_id)(scim["externalId"])))
    for attribute, key in checks:
        row = tables.get("directories", directory_id, key)
        if row is not None and row.doc.get("id") != own_id:
            return attribute
    return None
