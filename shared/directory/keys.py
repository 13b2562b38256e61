"""Row keys of a directory's partition (see records.py). Values become SHA-256 hex, so any text a
SCIM client sends is a valid, fixed-length key, and no value is ever part of a query string."""
from __future__ import annotations

import hashlib

USER, GROUP = "u_", "g_"
USER_NAME, USER_EXTERNAL_ID, GROUP_EXTERNAL_ID = "un_", "ue_", "ge_"
EMAIL, GROUP_NAME = "em_", "gn_"
MEMBER, USER_GROUP = "m_", "ug_"


def h(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def user(user_id: str) -> str:
    return USER + user_id


def group(group_id: str) -> str:
    return GROUP + group_id


def user_name(value: str) -> str:
    return USER_NAME + h(value.lower())  # userName is caseExact false (RFC 7643 section 4.1.1)


def user_external_id(value: str) -> str:
    return USER_EXTERNAL_ID + h(value)


def group_external_id(value: str) -> str:
    return GROUP_EXTERNAL_ID + h(value)


def email_prefix(value: str) -> str:
    return f"{EMAIL}{h(value.lower())}_"


def group_name(value: str) -> str:
    return GROUP_NAME + h(value.lower())  # displayName is caseExact false (RFC 7643 section 4.2)


def member(group_id: str, user_id: str) -> str:
    return f"{MEMBER}{group_id}_{user_id}"


def user_group(user_id: str, group_id: str) -> str:
    return f"{USER_GROUP}{user_id}_{group_id}"


def is_resource_id(value) -> bool:
    return isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)
