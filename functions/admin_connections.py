"""Admin API: an organization's connections."""
from __future__ import annotations

import azure.functions as func

from shared.admin import access as admin_access
from shared.admin import connection_admin, connection_checks, connection_test
from shared.admin.bodies import ConnectionChanges, NewConnection
from shared.admin.views import ConnectionList, ConnectionView, TestSignIn
from shared.orgs import connections
from shared.orgs.connection_status import public_view
from shared.web.error_body import ConnectionTestRefusal
from shared.web.http import api_handler, json_response, no_content, read_body
from shared.web.operations import Link, operation

bp = func.Blueprint()
TAGS = ("Connections",)
ETAG = {"ETag": "The connection's etag, for If-Match."}
_LIST = "api/organizations/{org}/connections"
_ONE = _LIST + "/{connection}"
_THIS = {"org": "$request.path.org", "connection": "$response.body#/id"}
_AFTER_CREATE = tuple(Link(201, target, _THIS) for target in (
    "getConnection", "updateConnection", "deleteConnection", "testConnection", "rotateSecret", "rollbackSecret", "createCertificate",
    "activateCertificate"))
# What proving a connection with Entra can answer (shared/orgs/credential_proof.py)
ENTRA_ERRORS = ("tenant_not_found", "authority_unreachable", "application_not_found", "invalid_client_secret", "client_secret_expired",
                "invalid_client_certificate", "idp_error")
SAML_ERRORS = ("invalid_metadata", "metadata_unreachable", "invalid_certificate", "certificate_expired")


@bp.route(route="api/organizations/{org}/connections", methods=["GET", "POST"])
@operation("GET", _LIST, "List an organization's connections", auth="api_key", responses={200: ConnectionList, 307: None},
           errors=("not_found",), operation_id="listConnections", tags=TAGS)
@operation("POST", _LIST, "Create a connection (OIDC or SAML)", auth="api_key", body=NewConnection, responses={201: ConnectionView, 307: None},
           errors=("not_found", "already_exists", "domain_unverified", "secret_store_unavailable", *ENTRA_ERRORS, *SAML_ERRORS),
           operation_id="createConnection", tags=TAGS, links=_AFTER_CREATE, headers={201: ETAG},
           description="OIDC: the credential is proven with Entra before anything is stored. SAML: with no IdP fields the connection is `pending`.")
@api_handler
def organization_connections(req: func.HttpRequest) -> func.HttpResponse:
    slug = admin_access.organization(req).doc.id
    if req.method == "GET":
        return json_response({"items": [public_view(doc) for doc in connections.list_for(slug)], "next": None})
    view, etag = connection_admin.create(slug, read_body(req, NewConnection).given())
    return json_response({**view, "etag": etag}, 201, {"ETag": etag})


@bp.route(route="api/organizations/{org}/connections/{connection}", methods=["GET", "PATCH", "DELETE"])
@operation("GET", _ONE, "Read a connection, its status and what to paste into Entra", auth="api_key",
           responses={200: ConnectionView, 307: None}, errors=("not_found",), operation_id="getConnection", tags=TAGS, headers={200: ETAG})
@operation("PATCH", _ONE, "Change a connection", auth="api_key", body=ConnectionChanges, responses={200: ConnectionView, 307: None},
           errors=("not_found", "conflict", "already_exists", "domain_unverified", "secret_store_unavailable",
                   *ENTRA_ERRORS, *SAML_ERRORS),
           operation_id="updateConnection", tags=TAGS, headers={200: ETAG},
           description="A change of `client_id`, `entra_tenant_id` or `allowed_tenant_ids` proves the stored credential with Entra again.")
@operation("DELETE", _ONE, "Delete a connection and its secrets", auth="api_key", responses={204: None, 307: None},
           errors=("not_found", "conflict", "secret_store_unavailable"), operation_id="deleteConnection", tags=TAGS)
@api_handler
def connection(req: func.HttpRequest) -> func.HttpResponse:
    stored = admin_access.connection(req)
    if req.method == "GET":
        return json_response(public_view(stored.doc, stored.etag), headers={"ETag": stored.etag})
    if req.method == "DELETE":
        connection_admin.delete(stored)
        return no_content()
    view, etag = connection_admin.update(stored, read_body(req, ConnectionChanges).given(), req.headers.get("if-match"))
    return json_response({**view, "etag": etag}, headers={"ETag": etag})


@bp.route(route="api/organizations/{org}/connections/{connection}/test", methods=["POST"])
@operation("POST", _ONE + "/test", "Check a connection and start a diagnostic sign-in", auth="api_key",
           responses={200: TestSignIn, 307: None, 400: ConnectionTestRefusal},
           errors=("not_found", "connection_test_failed", "conflict", "authority_unreachable", "secret_store_unavailable"),
           operation_id="testConnection", tags=TAGS,
           description="Runs the checks the server can make alone; if one fails there is no `test_url` (400 `connection_test_failed`).")
@api_handler
def test_connection(req: func.HttpRequest) -> func.HttpResponse:
    """A one-time sign-in URL that ends on a diagnostic page and issues no code, once the checks
    the server can make alone pass (else 400 with each check and its fix)."""
    stored = admin_access.connection(req)
    checks, url = connection_test.start(stored)
    if url is None:
        return json_response(connection_checks.refusal(checks), 400)
    return json_response({"test_url": url, "checks": checks})
