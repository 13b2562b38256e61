"""User and Group resources: validated by scim2-models, Entra's non-standard shapes normalised
first, and answered with `attributes`/`excludedAttributes` honoured.

A resource is kept as the JSON scim2-models dumps (no `id`, `meta` or group `members`: the
storage owns those), so what is stored was valid SCIM and reads back as such."""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from scim2_models import Context, EnterpriseUser, Group, Meta, ResponseParameters, SCIMException, User

from shared.directory.scim.errors import ScimError, invalid_value

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
USER_MODEL = User[EnterpriseUser]
MODELS = {"User": USER_MODEL, "Group": Group}
# Entra's provisioning service lists this Microsoft schema beside the core Group schema on every
# group it creates (no attributes of its own): accepted, and dropped before validation.
ENTRA_GROUP_SCHEMA = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
KNOWN_SCHEMAS = {"User": {USER_SCHEMA, ENTERPRISE_SCHEMA}, "Group": {GROUP_SCHEMA, ENTRA_GROUP_SCHEMA}}
MAX_RESOURCE_CHARS = 30_000  # one stored property holds at most 64 KiB (32K characters)
_SERVER_OWNED = ("id", "meta", "members")


def _validation_error(exc: ValidationError) -> ScimError:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if not isinstance(part, int)) or "the resource"
    kind = str(first.get("type", ""))
    scim_type = kind[5:] if kind.startswith("scim_") else "invalidValue"
    if kind == "extra_forbidden":
        return ScimError(400, f"`{where}` is not an attribute of this resource's schemas (core User or Group, enterprise User extension).", "invalidValue")
    return ScimError(400, f"`{where}`: {first.get('msg', 'invalid value')}.", scim_type)


def check_schemas(kind: str, payload: Any) -> dict:
    if not isinstance(payload, dict):
        raise invalid_syntax_body()
    schemas = payload.get("schemas")
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise invalid_value(f"`schemas` must be a list holding {sorted(KNOWN_SCHEMAS[kind])[0]}.")
    unknown = [s for s in schemas if s not in KNOWN_SCHEMAS[kind]]
    if unknown:
        raise invalid_value(f"Unknown schema {unknown[0][:100]!r}: a {kind} accepts {', '.join(sorted(KNOWN_SCHEMAS[kind]))}.")
    if ENTRA_GROUP_SCHEMA in schemas:
        payload = {**payload, "schemas": [s for s in schemas if s != ENTRA_GROUP_SCHEMA]}
    return payload


def invalid_syntax_body() -> ScimError:
    return ScimError(400, "The body must be a JSON object.", "invalidSyntax")


def _entra_quirks(kind: str, payload: dict) -> dict:
    """Entra sends the enterprise `manager` as a bare id string; SCIM's is `{"value": id}`."""
    extension = payload.get(ENTERPRISE_SCHEMA)
    if kind == "User" and isinstance(extension, dict) and isinstance(extension.get("manager"), str):
        payload = {**payload, ENTERPRISE_SCHEMA: {**extension, "manager": {"value": extension["manager"]}}}
    return payload


def parse(kind: str, payload: Any) -> Any:
    """A create or replace body, checked: the model instance (server-owned fields dropped)."""
    payload = {k: v for k, v in check_schemas(kind, payload).items() if k not in ("id", "meta")}
    return validate(kind, _entra_quirks(kind, payload), Context.RESOURCE_CREATION_REQUEST)


def validate(kind: str, payload: dict, ctx: Context = Context.DEFAULT) -> Any:
    try:
        return MODELS[kind].model_validate(payload, scim_ctx=ctx)
    except ValidationError as exc:
        raise _validation_error(exc) from None
    except SCIMException as exc:
        raise ScimError(400, (str(exc).splitlines() or ["Invalid value."])[0][:300], exc.scim_type or "invalidValue") from None


def stored_json(resource: Any) -> dict:
    """What storage keeps: the valid SCIM JSON without the server-owned attributes."""
    doc = {k: v for k, v in resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE).items() if k not in _SERVER_OWNED}
    if len(str(doc)) > MAX_RESOURCE_CHARS:
        raise ScimError(413, f"The resource is larger than {MAX_RESOURCE_CHARS} characters; send fewer or shorter attributes.")
    return doc


def response_parameters(kind: str, attributes: str | None, excluded: str | None) -> ResponseParameters | None:
    if not attributes and not excluded:
        return None
    try:
        return ResponseParameters[MODELS[kind]].model_validate({"attributes": attributes or None, "excluded_attributes": excluded or None})
    except (ValidationError, SCIMException):
        raise ScimError(400, "`attributes`/`excludedAttributes` name attributes this resource does not have.", "invalidPath") from None


def answer(kind: str, doc: dict, resource_id: str, version: str, location: str, created: str, modified: str,
           members: list[dict] | None = None, params: ResponseParameters | None = None) -> dict:
    """The resource as a response body, `meta` included."""
    body = {**doc, "id": resource_id}
    if members:
        body["members"] = members
    resource = validate(kind, body)
    resource.meta = Meta(resource_type=kind, created=created, last_modified=modified, version=version, location=location)
    return resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=params)
