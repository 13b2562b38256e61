"""Admin API: an OIDC connection's credentials. Secret rotation and rollback, certificate
credentials (create, then activate once uploaded to Entra). Each is proven with Entra before
it becomes current; see shared/lifecycle/credential_rotation.py and shared/lifecycle/certificate_credentials.py."""
from __future__ import annotations

import azure.functions as func

from shared.admin import access as admin_access
from shared.lifecycle import certificate_credentials, credential_rotation
from shared.web.http import api_handler, json_response, read_json

bp = func.Blueprint()

_BASE = "api/organizations/{org}/connections/{connection}"


def _optional_json(req: func.HttpRequest, allowed: frozenset[str]) -> dict:
    """These POSTs need no body: none (or `{}`) is fine; anything else must be a JSON object."""
    if not (req.get_body() or b"").strip():
        return {}
    return read_json(req, allowed)


@bp.route(route=_BASE + "/secret", methods=["POST"])
@api_handler
def rotate_secret(req: func.HttpRequest) -> func.HttpResponse:
    stored = admin_access.connection(req)
    view, etag = credential_rotation.rotate_secret(stored, read_json(req, credential_rotation.SECRET_FIELDS), req.headers.get("if-match"))
    return json_response(view, headers={"ETag": etag})


@bp.route(route=_BASE + "/secret/rollback", methods=["POST"])
@api_handler
def rollback_secret(req: func.HttpRequest) -> func.HttpResponse:
    stored = admin_access.connection(req)
    _optional_json(req, frozenset())
    view, etag = credential_rotation.rollback(stored, req.headers.get("if-match"))
    return json_response(view, headers={"ETag": etag})


@bp.route(route=_BASE + "/certificate", methods=["POST"])
@api_handler
def create_certificate(req: func.HttpRequest) -> func.HttpResponse:
    stored = admin_access.connection(req)
    answer, etag = certificate_credentials.create(stored, _optional_json(req, certificate_credentials.CREATE_FIELDS), req.headers.get("if-match"))
    return json_response(answer, 201, {"ETag": etag})


@bp.route(route=_BASE + "/certificate/activate", methods=["POST"])
@api_handler
def activate_certificate(req: func.HttpRequest) -> func.HttpResponse:
    stored = admin_access.connection(req)
    view, etag = certificate_credentials.activate(stored, _optional_json(req, certificate_credentials.ACTIVATE_FIELDS), req.headers.get("if-match"))
    return json_response(view, headers={"ETag": etag})
