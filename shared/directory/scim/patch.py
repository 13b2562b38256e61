"""PATCH (RFC 7644 section 3.5.2) as Entra's provisioning service sends it, in both of its modes.

Normalised before scim2-models applies the operations: `op` in any case (`Replace`), a `Remove`
of members given as a value list (`path: members`, `value: [{"value": id}]`) becomes one
`members[value eq "id"]` removal each, a no-path value object with dotted or URN keys becomes one
operation per key, and the enterprise `manager` given as a bare id becomes `{"value": id}`.
Booleans sent as "True"/"False" are read by the models. A group's member operations are taken out
(members are stored as rows of their own) and answered as a MemberChange."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from scim2_models import Context, PatchOp, SCIMException

from shared.directory.scim.errors import ScimError, invalid_value
from shared.directory.scim.resources import ENTERPRISE_SCHEMA, MODELS, _validation_error, validate

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_OPERATIONS = 1000
MAX_MEMBERS = 1000  # per request; Entra sends at most a few hundred
_OPS = {"add", "replace", "remove"}
_MEMBER_FILTER = re.compile(r'^members\[\s*value\s+eq\s+"([^"]{1,200})"\s*\]$', re.IGNORECASE)


@dataclass
class MemberChange:
    add: dict[str, str | None] = field(default_factory=dict)  # member id -> its display name, if sent
    remove: list[str] = field(default_factory=list)
    replace: dict[str, str | None] | None = None  # the whole member list


def _operations(body: Any) -> list[dict]:
    if not isinstance(body, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or PATCH_SCHEMA not in schemas):
        raise invalid_value(f"`schemas` of a PATCH must be [{PATCH_SCHEMA!r}].")
    ops = body.get("Operations", body.get("operations"))
    if not isinstance(ops, list) or not ops:
        raise invalid_value("`Operations` must be a non-empty list of {op, path, value}.")
    if len(ops) > MAX_OPERATIONS:
        raise ScimError(413, f"At most {MAX_OPERATIONS} operations per PATCH.")
    normal = []
    for op in ops:
        if not isinstance(op, dict) or not isinstance(op.get("op"), str) or op["op"].lower() not in _OPS:
            raise invalid_value("Each operation needs `op`: add, replace or remove (any case).")
        path = op.get("path")
        if path is not None and (not isinstance(path, str) or not path.strip() or len(path) > 500):
            raise ScimError(400, "`path` must be a SCIM attribute path.", "invalidPath")
        normal.extend(_expand({**op, "op": op["op"].lower()}))
    return normal


def _expand(op: dict) -> list[dict]:
    """One operation as the models take it (possibly several)."""
    path, value = op.get("path"), op.get("value")
    if path is None and isinstance(value, dict) and op["op"] != "remove":
        dotted = {k: v for k, v in value.items() if "." in k or ":" in k}
        rest = {k: v for k, v in value.items() if k not in dotted}
        ops = [{"op": op["op"], "value": rest}] if rest else []
        return ops + [op_ for key, v in dotted.items() for op_ in _expand({"op": op["op"], "path": key, "value": v})]
    if path is not None and path.lower().endswith(":manager") and isinstance(value, str):
        return [{**op, "value": {"value": value}}]
    return [op]


def member_ids(value: Any) -> dict[str, str | None]:
    """Members as sent ([{"value": id, "display"?}]): id -> display, in order."""
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_MEMBERS:
        raise ScimError(413, f"At most {MAX_MEMBERS} members per request; send the rest in another PATCH.")
    ids: dict[str, str | None] = {}
    for item in items:
        member = item.get("value") if isinstance(item, dict) else None
        display = item.get("display") if isinstance(item, dict) else None
        if not isinstance(member, str) or not member or len(member) > 200:
            raise invalid_value('Each member must be {"value": "<id of a user in this directory>"}.')
        ids[member] = display[:256] if isinstance(display, str) else None
    return ids


def split_members(ops: list[dict], change: MemberChange) -> list[dict]:
    """Takes the member operations out of `ops` into `change`; answers the others."""
    rest = []
    for op in ops:
        path, value = op.get("path"), op.get("value")
        if path is None and isinstance(value, dict) and "members" in value:
            members = value["members"]
            value = {k: v for k, v in value.items() if k != "members"}
            if op["op"] == "replace":
                change.replace = member_ids(members)
            else:
                change.add.update(member_ids(members))
            if value:
                rest.append({**op, "value": value})
            continue
        match = _MEMBER_FILTER.match(path.strip()) if isinstance(path, str) else None
        if match and op["op"] == "remove":
            change.remove.append(match.group(1))
        elif isinstance(path, str) and path.strip().lower() == "members":
            if op["op"] == "remove":
                if value is None:
                    change.replace = {}
                else:
                    change.remove += list(member_ids(value))
            elif op["op"] == "replace":
                change.replace = member_ids(value if value is not None else [])
            else:
                change.add.update(member_ids(value))
        elif isinstance(path, str) and path.strip().lower().startswith("members"):
            raise ScimError(400, f"Unsupported members path {path[:100]!r}: use members or members[value eq \"id\"].", "invalidPath")
        else:
            rest.append(op)
    return rest


def apply(kind: str, doc: dict, body: Any) -> tuple[dict, MemberChange]:
    """The resource's stored JSON after the PATCH, and for a group what changes in its members."""
    ops = _operations(body)
    change = MemberChange()
    if kind == "Group":
        ops = split_members(ops, change)
    if not ops:
        return doc, change
    resource = validate(kind, doc)
    try:
        patch = PatchOp[MODELS[kind]].model_validate({"schemas": [PATCH_SCHEMA], "Operations": ops}, scim_ctx=Context.RESOURCE_PATCH_REQUEST)
        patch.patch(resource)
    except ValidationError as exc:
        raise _validation_error(exc) from None
    except SCIMException as exc:
        raise ScimError(400, (str(exc).splitlines() or ["The operation cannot be applied."])[0][:300], exc.scim_type or "invalidValue") from None
    except (TypeError, ValueError, KeyError, AttributeError):  # a value of the wrong shape for its path
        raise invalid_value("An operation's value does not fit its path's type.") from None
    # Validate again, so what is stored is valid whatever the operations did.
    dumped = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    return {k: v for k, v in validate(kind, dumped).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE).items()
            if k not in ("id", "meta", "members")}, change


__all__ = ["apply", "MemberChange", "ENTERPRISE_SCHEMA"]
