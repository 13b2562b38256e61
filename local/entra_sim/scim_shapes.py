"""What Entra's provisioning service puts in its SCIM requests, in its own shapes.

Two dialects: the default one (capitalised `op`, `active` as the strings "True"/"False",
member removal as `path: members` plus a value list) and the one the Tenant URL flag
`aadOptscim062020` selects (lowercase `op`, booleans, simple attributes replaced together in one
`value` object, removal by `members[value eq "<id>"]`). Sources: Microsoft's "Tutorial: Develop
and plan provisioning for a SCIM endpoint" and "Known issues and resolutions with SCIM 2.0
protocol compliance" pages (read for facts; the README's simulator section lists them).
"""
from __future__ import annotations

import json

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
AD_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
FLAG = "aadOptscim062020"
WORK_EMAIL = 'emails[type eq "work"].value'
# Order of Entra's default user attribute mappings, as the portal lists them.
USER_PATHS = ("userName", "active", "displayName", WORK_EMAIL, "name.givenName",
              "name.familyName", "name.formatted", "externalId")
EXTERNAL_ID_SOURCES = ("mailNickname", "objectId")


def scim_user_name(upn: str) -> str:
    """userPrincipalName as provisioning sends it: a guest's `alias_theirdomain#EXT#@ours` loses
    `#EXT#@ours` and gets its `@` back (Entra's rule; originalUserPrincipalName keeps it)."""
    if "#EXT#" not in upn:
        return upn
    alias, _, domain = upn.split("#EXT#", 1)[0].rpartition("_")
    return f"{alias}@{domain}" if alias else upn


def user_attributes(user, external_id_source: str = "mailNickname") -> dict:
    """A simulator user through Entra's default mappings, as flat SCIM paths. An attribute
    without a value is absent: Entra never sends null."""
    formatted = " ".join(part for part in (user.given_name, user.family_name) if part)
    values = {
        "userName": scim_user_name(user.upn),
        "active": bool(user.account_enabled),
        "displayName": user.name,
        WORK_EMAIL: user.email,
        "name.givenName": user.given_name,
        "name.familyName": user.family_name,
        "name.formatted": formatted,
        "externalId": user.oid if external_id_source == "objectId" else user.mail_nickname,
    }
    return {path: value for path, value in values.items() if value not in (None, "")}


def user_body(attrs: dict) -> dict:
    """POST /Users: both dialects send the same body (active is a boolean here)."""
    body: dict = {"schemas": [CORE_USER, ENTERPRISE_USER]}
    for key in ("externalId", "userName", "active", "displayName"):
        if key in attrs:
            body[key] = attrs[key]
    if WORK_EMAIL in attrs:
        body["emails"] = [{"primary": True, "type": "work", "value": attrs[WORK_EMAIL]}]
    body["meta"] = {"resourceType": "User"}
    name = {key: attrs[f"name.{key}"] for key in ("formatted", "familyName", "givenName")
            if f"name.{key}" in attrs}
    if name:
        body["name"] = name
    body["roles"] = []
    return body


def _truthy(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def target_attributes(resource: dict) -> dict:
    """A SCIM User resource read back from the target, flattened to the mapped paths."""
    name = resource.get("name") if isinstance(resource.get("name"), dict) else {}
    emails = resource.get("emails") if isinstance(resource.get("emails"), list) else []
    work = next((e.get("value") for e in emails if isinstance(e, dict) and e.get("type") == "work"),
                None)
    values = {"userName": resource.get("userName"), "active": _truthy(resource.get("active")),
              "displayName": resource.get("displayName"), WORK_EMAIL: work,
              "name.givenName": name.get("givenName"), "name.familyName": name.get("familyName"),
              "name.formatted": name.get("formatted"), "externalId": resource.get("externalId")}
    return {path: value for path, value in values.items() if value not in (None, "")}


def _op(name: str, compliant: bool) -> str:
    return name.lower() if compliant else name


def _value(path: str, value, compliant: bool):
    if path == "active" and not compliant:
        return "True" if value else "False"
    return value


def attribute_ops(current: dict, desired: dict, compliant: bool) -> list[dict]:
    """PATCH operations that take the target from `current` to `desired` (flat paths). An
    attribute the target lacks is an `Add`, a different one a `Replace`; one the source lost is
    left alone (Entra sends no nulls and no removal of a mapped attribute)."""
    changed = [p for p in USER_PATHS + tuple(sorted(set(desired) - set(USER_PATHS)))
               if p in desired and current.get(p) != desired[p]]
    ops, bundled = [], {}
    for path in changed:
        verb = "Add" if path not in current else "Replace"
        simple = "[" not in path and path != "active"
        if compliant and verb == "Replace" and simple:
            bundled[path] = desired[path]
            continue
        ops.append({"op": _op(verb, compliant), "path": path,
                    "value": _value(path, desired[path], compliant)})
    if len(bundled) == 1:
        (path, value), = bundled.items()
        ops.append({"op": "replace", "path": path, "value": value})
    elif bundled:
        ops.append({"op": "replace", "value": bundled})
    return ops


def patch_body(ops: list[dict]) -> dict:
    return {"schemas": [PATCH_OP], "Operations": ops}


def group_body(group) -> dict:
    """POST /Groups: created without members (they follow as PATCH Add); externalId is the
    group's objectId, Entra's default group mapping."""
    return {"schemas": [CORE_GROUP, AD_GROUP], "externalId": group.id,
            "displayName": group.display_name, "meta": {"resourceType": "Group"}}


def rename_group_ops(display_name: str, compliant: bool) -> list[dict]:
    return [{"op": _op("Replace", compliant), "path": "displayName", "value": display_name}]


def add_members_ops(member_ids: list[str], compliant: bool) -> list[dict]:
    # `$ref: null` is in Microsoft's own sample of this request.
    return [{"op": _op("Add", compliant), "path": "members",
             "value": [{"$ref": None, "value": mid} for mid in member_ids]}]


def remove_members_ops(member_ids: list[str], compliant: bool) -> list[dict]:
    if compliant:
        return [{"op": "remove", "path": f"members[value eq {json.dumps(mid)}]"}
                for mid in member_ids]
    return [{"op": "Remove", "path": "members", "value": [{"value": mid} for mid in member_ids]}]


def eq_filter(attribute: str, value: str) -> str:
    """`attribute eq "value"`, the value a JSON string as RFC 7644 section 3.4.2.2 writes it."""
    return f"{attribute} eq {json.dumps(value, ensure_ascii=False)}"
