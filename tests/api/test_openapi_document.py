"""The OpenAPI document: valid OpenAPI 3.1, served anonymously, covering exactly the registered
routes, its links and error codes real, and docs/api.md rendered from it."""
from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from openapi_spec_validator import validate

import function_app  # noqa: F401  (declares every operation)
from shared.platform.errors import CATALOGUE
from shared.web.openapi import build
from shared.web.operations import OPERATIONS
from tests.fuzz.routes import registered_functions

ROOT = Path(__file__).resolve().parent.parent.parent


def _registered() -> dict[tuple[str, str], str]:
    """(method, route) -> the name of the function registered for it."""
    found = {}
    for function in registered_functions():
        trigger = function.get_trigger()
        if trigger.get_binding_name() == "httpTrigger":
            for method in trigger.methods or ["GET", "POST"]:
                found[(str(getattr(method, "value", method)).upper(), trigger.route.strip("/"))] = function.get_function_name()
    return found


def _answers_only_405(name: str) -> bool:
    """A function registered for a route's other methods, whose only job is the JSON 405."""
    return name.startswith("method_not_allowed")


def test_the_document_is_valid_openapi_3_1():
    document = build()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_the_document_is_served_anonymously(anonymous):
    response = anonymous.get("/api/openapi.json")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    assert response.json() == build()
    assert response.headers.get("X-Correlation-Id")


def test_every_registered_route_is_documented_and_every_documented_one_registered():
    document = build()
    documented = {(method.upper(), path.lstrip("/")) for path, item in document["paths"].items() for method in item}
    registered = _registered()
    undocumented = []
    for (method, route), name in registered.items():
        if (method, route) in documented:
            continue
        # A 405-only function is documented by the path's 405: an operation of its own declaring
        # it, or (the path documented) the document's rule that a method a path does not list
        # answers 405 `method_not_allowed` (info.description, docs/api.md).
        path = document["paths"].get("/" + route)
        if _answers_only_405(name) and path is not None and ("405" in path.get(method.lower(), {}).get("responses", {})
                                                           or "answers 405" in document["info"]["description"]):
            continue
        undocumented.append(f"{method} {route} ({name})")
    assert not undocumented, f"declare with shared.web.operations.operation: {undocumented}"
    not_registered = sorted(f"{m} {r}" for m, r in documented if (m, r) not in registered)
    assert not not_registered, f"documented but not registered: {not_registered}"


def test_operation_ids_are_unique_and_links_point_at_real_operations_and_parameters():
    ids = [op.operation_id for op in OPERATIONS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    document = build()
    by_id = {op["operationId"]: op for item in document["paths"].values() for op in item.values()}
    broken = []
    for op in by_id.values():
        for status, answer in op["responses"].items():
            for link in answer.get("links", {}).values():
                target = by_id.get(link["operationId"])
                names = {p["name"] for p in (target or {}).get("parameters", ())}
                if target is None or not set(link["parameters"]) <= names:
                    broken.append((op["operationId"], status, link["operationId"], sorted(set(link["parameters"]) - names)))
    assert not broken


def test_the_stateful_chain_is_linked():
    """create org -> read/change/delete it and create a connection -> read/change/delete that;
    a domain claim -> read/verify/delete it."""
    document = build()
    links = {op["operationId"]: {name for answer in op["responses"].values() for name in answer.get("links", {})}
             for item in document["paths"].values() for op in item.values()}
    assert {"getOrganization", "updateOrganization", "deleteOrganization", "createConnection", "claimDomain"} <= links["createOrganization"]
    assert {"getConnection", "updateConnection", "deleteConnection"} <= links["createConnection"]
    assert {"getDomain", "verifyDomain", "deleteDomain"} <= links["claimDomain"]


def test_error_responses_name_only_catalogue_codes_and_the_error_schema_lists_every_code():
    document = build()
    assert document["components"]["schemas"]["ErrorCode"]["enum"] == list(CATALOGUE)
    for path, item in document["paths"].items():
        for method, op in item.items():
            for status, answer in op["responses"].items():
                for code in answer.get("x-error-codes", ()):
                    assert CATALOGUE[code].status == int(status), (method, path, code, status)


@pytest.mark.parametrize("kind, scheme", [("api_key", "apiKey"), ("global_key", "globalKey"), ("anonymous", None)])
def test_each_operation_names_its_security(kind, scheme):
    document = build()
    for op in OPERATIONS:
        if op.auth != kind:
            continue
        declared = document["paths"]["/" + op.route][op.method.lower()]["security"]
        assert declared == ([{scheme: []}] if scheme else []), (op.method, op.route)
        codes = declared and document["paths"]["/" + op.route][op.method.lower()]["responses"]["401"]["x-error-codes"]
        assert not scheme or codes == ["unauthorized"]
    schemes = document["components"]["securitySchemes"]
    assert {"apiKey", "globalKey", "scimToken", "portalSession", "functionsKey"} <= set(schemes)


def test_request_bodies_refuse_unknown_fields_in_the_document():
    """Every JSON request body schema says additionalProperties false: a client generator and the
    fuzz see what the server enforces."""
    document = build()
    schemas = document["components"]["schemas"]
    for op in OPERATIONS:
        # SCIM resources (RFC 7643) are open by design: extension schemas arrive as extra keys,
        # and the SCIM service judges them itself (tests/directory, scimType invalidValue).
        if op.body is not None and not op.route.startswith("scim/"):
            name = op.body.__name__
            assert schemas[name].get("additionalProperties") is False, name


def test_docs_api_md_is_current():
    generator = runpy.run_path(str(ROOT / "scripts" / "api_docs.py"))
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert generator["render"](build()) == page, "docs/api.md is stale; run: .venv/bin/python scripts/api_docs.py"
