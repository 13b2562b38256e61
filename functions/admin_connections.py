"""Admin API: an organization's connections."""
from __future__ import annotations

import azure.functions as func

from shared.admin import access as admin_access
from shared.admin import connection_admin, connection_checks
from shared.admin.bodies import ConnectionChanges, NewConnection
from shared.orgs import connections, organizations
from shared.orgs.connection_status import public_view
from shared.signin import start as sign_in
from shared.signin.targets import Target
from shared.web.http import api_handler, json_response, read_body

bp = func.Blueprint()


@bp.route(route="api/organizations/{org}/connections", methods=["GET", "POST"])
@api_handler
def organization_connections(req: func.HttpRequest) -> func.HttpResponse:
    slug = admin_access.organization(req).doc.id
    if req.method == "GET":
        return json_response({"items": [public_view(doc) for doc in connections.list_for(slug)], "next": None})
    view, etag = connection_admin.create(slug, read_body(req, NewConnection).given())
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
    view, etag = connection_admin.update(stored, read_body(req, ConnectionChanges).given(), req.headers.get("if-match"))
    return json_response({**view, "etag": etag}, headers={"ETag": etag})


@bp.route(route="api/organizations/{org}/connections/{connection}/test", methods=["POST"])
@api_handler
def test_connection(req: func.HttpRequest) -> func.HttpResponse:
    """A one-time sign-in URL that ends on a diagnostic page and issues no code, once the checks
    the server can make alone pass (else 400 with each check and its fix)."""
    stored = admin_access.connection(req)
    checks, stored = connection_checks.run(stored)
    if not all(check["ok"] for check in checks):
        return json_response(connection_checks.refusal(checks), 400)
    target = Target(organizations.require(stored.doc.organization).doc, stored.doc)
    url = sign_in.begin(target, redirect_uri=None, options=sign_in.checked_options({}), test=True)
    return json_response({"test_url": url, "checks": checks})
