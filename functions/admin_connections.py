"""Admin API: an organization's connections."""
from __future__ import annotations

import azure.functions as func

from shared.admin import access as admin_access
from shared.admin import connection_admin, connection_checks, connection_test
from shared.orgs import connections
from shared.orgs.connection_status import public_view
from shared.web.http import api_handler, json_response, read_json

bp = func.Blueprint()


@bp.route(route="api/organizations/{org}/connections", methods=["GET", "POST"])
@api_handler
def organization_connections(req: func.HttpRequest) -> func.HttpResponse:
    slug = admin_access.organization(req).doc.id
    if req.method == "GET":
        return json_response({"items": [public_view(doc) for doc in connections.list_for(slug)], "next": None})
    view, etag = connection_admin.create(slug, read_json(req, connections.CREATE_FIELDS))
    return json_response({**view, "etag": etag}, 201, {"ETag": etag})


@bp.route(route="api/organizations/{org}/connections/{connection}", methods=["GET", "PATCH", "DELETE"])
@api_handler
def connection(req: func.HttpRequest) -> func.HttpResponse:
    stored = admin_access.connection(req)
    if req.method == "GET":
        return json_response(public_view(stored.doc, stored.etag), headers={"ETag": stored.etag})
    if req.method == "DELETE":
        connection_admin.delete(stored)
        return func.HttpResponse(status_code=204)
    view, etag = connection_admin.update(stored, read_json(req, connections.PATCH_FIELDS), req.headers.get("if-match"))
    return json_response({**view, "etag": etag}, headers={"ETag": etag})


@bp.route(route="api/organizations/{org}/connections/{connection}/test", methods=["POST"])
@api_handler
def test_connection(req: func.HttpRequest) -> func.HttpResponse:
    """A one-time sign-in URL that ends on a diagnostic page and issues no code, once the checks
    the server can make alone pass (else 400 with each check and its fix)."""
    stored = admin_access.connection(req)
    checks, url = connection_test.start(stored)
    if url is None:
        return json_response(connection_checks.refusal(checks), 400)
    return json_response({"test_url": url, "checks": checks})
