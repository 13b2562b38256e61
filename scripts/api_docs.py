"""Writes docs/api.md, the readable page of the OpenAPI document (shared/web/openapi.py), so the
page cannot drift from the routes: every operation by tag, its parameters, bodies, answers and
error codes, then every schema. tests/api/test_openapi_document.py keeps it current.

    .venv/bin/python scripts/api_docs.py          # rewrite docs/api.md
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import function_app  # noqa: E402,F401  (registers every blueprint, and so declares every operation)
from shared.web.openapi import build  # noqa: E402

PAGE = ROOT / "docs" / "api.md"
_AUTH = {"apiKey": "API key (global or the organization's)", "globalKey": "global API key", "scimToken": "SCIM token",
         "portalSession": "portal session", "functionsKey": "Functions host key"}


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _type(schema: dict) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in schema:
        return " or ".join(_type(s) for s in schema["anyOf"])
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
        return f"map of {_type(schema['additionalProperties'])}"
    return str(kind)


def _constraints(schema: dict) -> str:
    shown = [f"{key} {schema[key]}" for key in ("minLength", "maxLength", "minItems", "maxItems", "minimum", "maximum") if key in schema]
    if "pattern" in schema:
        shown.append(f"pattern `{schema['pattern']}`")
    return "; ".join(shown)


def _fields(schema: dict) -> list[str]:
    required = set(schema.get("required", ()))
    rows = ["| field | type | required | notes |", "|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        notes = "; ".join(part for part in (prop.get("description", ""), _constraints(prop)) if part)
        rows.append(f"| `{name}` | {_cell(_type(prop))} | {'yes' if name in required else ''} | {_cell(notes)} |")
    return rows


def _operation(method: str, path: str, op: dict) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", "", op["summary"] + ("" if op["summary"].endswith(".") else "."), ""]
    if op.get("description"):
        lines += [op["description"], ""]
    auth = ", ".join(_AUTH[name] for requirement in op["security"] for name in requirement) or "anonymous"
    lines += [f"Auth: {auth}. Operation id: `{op['operationId']}`.", ""]
    if op.get("parameters"):
        lines += ["| parameter | in | required | type | notes |", "|---|---|---|---|---|"]
        for param in op["parameters"]:
            notes = "; ".join(part for part in (param.get("description", ""), _constraints(param["schema"])) if part)
            lines.append(f"| `{param['name']}` | {param['in']} | {'yes' if param['required'] else ''} | {_cell(_type(param['schema']))} | {_cell(notes)} |")
        lines.append("")
    body = op.get("requestBody")
    if body:
        media = ", ".join(f"`{m}`" for m in body["content"])
        schema = next(iter(body["content"].values()))["schema"]
        lines += [f"Body ({media}{'' if body['required'] else ', optional'}): {_type(schema)}.", ""]
    lines += ["| status | answer | error codes |", "|---|---|---|"]
    for status, answer in op["responses"].items():
        content = answer.get("content", {})
        shown = ", ".join(_type(c["schema"]) if "schema" in c else f"`{media}`" for media, c in content.items()) or "no body"
        codes = ", ".join(f"`{code}`" for code in answer.get("x-error-codes", ()))
        links = answer.get("links")
        if links:
            shown += "; then: " + ", ".join(f"`{name}`" for name in links)
        lines.append(f"| {status} | {_cell(shown)} | {codes} |")
    return lines + [""]


def render(document: dict) -> str:
    lines = ["# entra-sso HTTP API", "",
             f"Generated from the OpenAPI {document['openapi']} document (`GET /api/openapi.json`) by `scripts/api_docs.py`; "
             "do not edit by hand (`tests/api` fails when it is stale).", "",
             document["info"]["description"], "",
             "Every answer carries `X-Correlation-Id`. Every error is a JSON body [ErrorBody](#errorbody) (browser routes: an HTML "
             "page unless the client asks for `application/json` only). A body refused by its model answers one 400 naming every "
             "problem in `problems`.", ""]
    by_tag: dict[str, list[tuple[str, str, dict]]] = {}
    for path, item in document["paths"].items():
        for method, op in item.items():
            by_tag.setdefault(op["tags"][0], []).append((method, path, op))
    for tag in document["tags"]:
        lines += [f"## {tag['name']}", "", tag["description"], ""]
        for method, path, op in by_tag.get(tag["name"], ()):
            lines += _operation(method, path, op)
    lines += ["## Schemas", ""]
    for name, schema in document["components"]["schemas"].items():
        lines += [f"### {name}", ""]
        if schema.get("description"):
            lines += [_cell(schema["description"]), ""]
        if "enum" in schema:
            lines += [", ".join(f"`{value}`" for value in schema["enum"]), ""]
        if schema.get("properties"):
            lines += _fields(schema) + [""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    PAGE.write_text(render(build()), encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")
