"""The OpenAPI 3.1 document of every declared operation (shared/web/operations.py), built from
the pydantic models that validate the bodies, so it cannot drift from the code. Served at
GET /api/openapi.json (functions/openapi.py); docs/api.md is rendered from it (scripts/api_docs.py).

What every operation may also answer is added here, from how it is declared: 401 for a key,
403 for a global key, the body codes (400, 413, 415) for a body, and 500 `internal_error`.
Error responses share one schema (`Error`, every stable code) and list the codes the operation
may answer in `x-error-codes`.
"""
from __future__ import annotations

import copy
import functools
import re
from http import HTTPStatus

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared.platform.errors import CATALOGUE
from shared.web.error_body import ErrorBody
from shared.web.operations import OPERATIONS, Operation, body_model

VERSION = "1.0.0"
CORRELATION = "The request's correlation id: quote it to support; events recorded for the request keep it."
_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")

SECURITY_SCHEMES = {
    "apiKey": {"type": "http", "scheme": "bearer", "description": "An API key: global (SSO_BOOTSTRAP_API_KEY, or made without "
               "`organization`) or scoped to one organization, which then sees only its own resources (others are 404)."},
    "globalKey": {"type": "http", "scheme": "bearer", "description": "A global API key only; an organization's key is 403 `forbidden`."},
    "scimToken": {"type": "http", "scheme": "bearer", "description": "A directory's SCIM bearer token."},
    "portalSession": {"type": "apiKey", "in": "cookie", "name": "entra_sso_portal", "description": "A self-service portal session."},
    "functionsKey": {"type": "apiKey", "in": "header", "name": "x-functions-key",
                     "description": "The Functions host key (timers on demand: POST /admin/functions/{name})."},
}
_SCHEME_OF_AUTH = {"api_key": "apiKey", "global_key": "globalKey", "scim_token": "scimToken", "portal_session": "portalSession",
                   "functions_key": "functionsKey"}
_KEY_ERRORS = ("unauthorized", "storage_unavailable")
_JSON_BODY_ERRORS = ("invalid_json", "unsupported_media_type", "payload_too_large", "unknown_field", "missing_field", "invalid_field")
_FORM_BODY_ERRORS = ("invalid_request", "unsupported_media_type", "payload_too_large", "unknown_field", "missing_field", "invalid_field")
TAGS = {
    "Sign-in": "The browser's routes and the code exchange of the app's backend.",
    "Organizations": "The SaaS's customer organizations and their audit trail.",
    "Connections": "An organization's Entra app registrations, over OIDC or SAML.",
    "Credentials": "An OIDC connection's client secret and certificate credentials.",
    "Domains": "Verified domains (DNS TXT) for home realm discovery and email trust.",
    "Sign-in policy": "Who must use SSO, and invitations of invite-only organizations.",
    "API keys": "Keys for the admin API and the code exchange.",
    "Regions": "On which region's stamp an organization lives.",
    "Service": "Health and this document.",
}


SCIM_MEDIA_TYPE = "application/scim+json"
SCIM_ERROR = {"type": "object", "required": ["schemas", "status"], "properties": {
    "schemas": {"type": "array", "items": {"const": "urn:ietf:params:scim:api:messages:2.0:Error"}},
    "status": {"type": "string", "description": "The HTTP status, as a string."},
    "scimType": {"type": "string", "description": "e.g. uniqueness, invalidFilter, invalidSyntax, invalidPath, invalidValue, mutability"},
    "detail": {"type": "string", "description": "What to fix."}}}


def is_browser_route(route: str) -> bool:
    """Browser routes (sign-in and the setup portal) answer an HTML error page unless the client
    asks for JSON only."""
    return (route.startswith("auth/") and route != "auth/sso/discover") or route.startswith("portal/")


def error_codes(op: Operation) -> list[str]:
    """Every stable code the operation may answer: declared, and implied by its auth and body."""
    implied: list[str] = []
    if op.auth in ("api_key", "global_key"):
        implied += _KEY_ERRORS
    if op.auth == "global_key":
        implied.append("forbidden")
    if op.body is not None:
        implied += _JSON_BODY_ERRORS if "application/json" in op.body_media_types else _FORM_BODY_ERRORS
    return list(dict.fromkeys([*implied, *op.errors, "internal_error"]))


def _models() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = [ErrorBody]
    for op in OPERATIONS:
        found += [m for m in (body_model(op), op.query) if m is not None]
        found += [body for body in op.responses.values() if isinstance(body, type)]
    return list(dict.fromkeys(found))


def _allows_null(schema: dict) -> bool:
    kinds = schema.get("type")
    return kinds == "null" or (isinstance(kinds, list) and "null" in kinds) or any(_allows_null(s) for s in schema.get("anyOf", ()))


def _tidy(node):
    """A default of null on a field that cannot be null only says "optional": drop it."""
    if isinstance(node, dict):
        if "default" in node and node["default"] is None and not _allows_null(node):
            del node["default"]
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)
    return node


def _schemas() -> tuple[dict[type[BaseModel], dict], dict]:
    refs, top = models_json_schema([(model, "validation") for model in _models()], ref_template="#/components/schemas/{model}")
    return {model: ref for (model, _), ref in refs.items()}, _tidy(top.get("$defs", {}))


def _parameters(op: Operation, refs: dict, schemas: dict) -> list[dict]:
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}} for name in _PARAM.findall(op.route)]
    if op.query is not None:
        model = schemas[refs[op.query]["$ref"].rsplit("/", 1)[1]]
        for name, schema in model.get("properties", {}).items():
            param = {"name": name, "in": "query", "required": name in model.get("required", ()), "schema": schema}
            if "description" in schema:
                param["description"] = schema["description"]
            params.append(param)
    return params


def _header(text: str) -> dict:
    return {"description": text, "required": True, "schema": {"type": "string"}}


def _headers(op: Operation, status: int) -> dict:
    named = {"X-Correlation-Id": {"$ref": "#/components/headers/CorrelationId"}}
    named.update((name, _header(text)) for name, text in (op.headers or {}).get(status, {}).items())
    if 300 <= status < 400:
        named["Location"] = _header("Where to go next." if status != 307 else "The organization's stamp in its region (a routing entry).")
    return named


def _content(body, refs: dict) -> dict | None:
    if body is None:
        return None
    if isinstance(body, str):
        return {body: {}}
    return {"application/json": {"schema": refs[body]}}


def _description(status: int, codes: list[str]) -> str:
    phrase = HTTPStatus(status).phrase
    if not codes:
        return phrase
    return phrase + ": " + ", ".join(f"`{code}`" for code in codes) + " (what each means: the `Error` schema)."


def _responses(op: Operation, refs: dict) -> dict:
    by_status: dict[int, list[str]] = {}
    for code in error_codes(op):
        by_status.setdefault(CATALOGUE[code].status, []).append(code)
    responses: dict[str, dict] = {}
    for status in sorted({*op.responses, *by_status}):
        codes = by_status.get(status, [])
        answer: dict = {"description": _description(status, codes), "headers": _headers(op, status)}
        if status in op.responses:
            content = _content(op.responses[status], refs)
        elif op.route.startswith("scim/"):  # SCIM answers its own error shape (RFC 7644 section 3.12)
            content = {SCIM_MEDIA_TYPE: {"schema": SCIM_ERROR}}
        else:
            content = {"application/json": {"schema": refs[ErrorBody]}}
            if is_browser_route(op.route):
                content["text/html"] = {}
        if content:
            answer["content"] = content
        if codes:
            answer["x-error-codes"] = codes
        links = {link.operation_id: {"operationId": link.operation_id, "parameters": dict(link.parameters)}
                 for link in op.links if link.status == status}
        if links:
            answer["links"] = links
        responses[str(status)] = answer
    return responses


def _operation(op: Operation, refs: dict, schemas: dict) -> dict:
    doc: dict = {"operationId": op.operation_id, "summary": op.summary, "tags": list(op.tags) or ["Service"]}
    if op.description:
        doc["description"] = op.description
    doc["security"] = [] if op.auth == "anonymous" else [{_SCHEME_OF_AUTH[op.auth]: []}]
    params = _parameters(op, refs, schemas)
    if params:
        doc["parameters"] = params
    if op.body is not None:
        doc["requestBody"] = {"required": op.body_required, "content": {media: {"schema": refs[body_model(op)]} for media in op.body_media_types}}
    doc["responses"] = _responses(op, refs)
    doc["x-handler"] = op.handler
    return doc


def build() -> dict:
    """The document of the operations declared so far."""
    refs, schemas = _schemas()
    paths: dict[str, dict] = {}
    for op in sorted(OPERATIONS, key=lambda o: (o.route, o.method)):
        paths.setdefault("/" + op.route, {})[op.method.lower()] = _operation(op, refs, schemas)
    used = sorted({tag for op in OPERATIONS for tag in (op.tags or ("Service",))}, key=lambda t: (list(TAGS).index(t) if t in TAGS else len(TAGS), t))
    return {
        "openapi": "3.1.0",
        "info": {"title": "entra-sso", "version": VERSION,
                 "description": "Single sign-on with Microsoft Entra ID (OIDC and SAML) for multi-tenant SaaS: the browser's sign-in "
                                "routes, the code exchange, and the admin API. Every error answers a stable `error` code and an "
                                "`error_description` saying what to fix. A method a path does not list answers 405 "
                                "`method_not_allowed`."},
        "servers": [{"url": "/"}],
        "tags": [{"name": tag, "description": TAGS.get(tag, "")} for tag in used],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": copy.deepcopy(SECURITY_SCHEMES),
                       "headers": {"CorrelationId": _header(CORRELATION)}},
    }


@functools.lru_cache(maxsize=1)
def document() -> dict:
    """The document as served: built on first use, once per instance (the declarations do not
    change once function_app has registered every blueprint). Not to be modified."""
    return build()
