"""Admin API: an OIDC connection's credentials. Secret rotation and rollback, certificate
credentials (create, then activate once uploaded to Entra). Each is proven with Entra before
it becomes current; see shared/lifecycle/credential_rotation.py and shared/lifecycle/certificate_credentials.py."""
from __future__ import annotations

import azure.functions as func

from shared.admin import access as admin_access
from shared.admin.bodies import CertificateActivation, NewCertificate, NewClientSecret, NoBody
from shared.lifecycle import certificate_credentials, credential_rotation
from shared.web.http import api_handler, json_response, read_body

bp = func.Blueprint()

_BASE = "api/organizations/{org}/connections/{connection}"


@bp.route(route=_BASE + "/secret", methods=["POST"])
@api_handler
def rotate_secret(req: func.HttpRequest) -> func.HttpResponse:
    stored = admin_access.connection(req)
    view, etag = credential_rotation.rotate_secret(stored, read_body(req, NewClientSecret).given(), req.headers.get("if-match"))
    return json_response(view, headers={"ETag": etag})


@bp.route(route=_BASE + "/secret/rollback", methods=["POST"])
@api_handler
def rollback_secret(req: func.HttpRequest) -> func.HttpResponse:
    stored = admin_access.connection(req)
    read_body(req, NoBody, optional=True)  # these POSTs need no body: none (or `{}`) is fine
    view, etag = credential_rotation.rollback(stored, req.headers.get("if-match"))
    return json_response(view, headers={"ETag": etag})


@bp.route(route=_BASE + "/certificate", methods=["POST"])
@api_handler
def create_certificate(req: func.HttpRequest) -> func.HttpResponse:
    stored = admin_access.connection(req)
    answer, etag = certificate_credentials.create(stored, read_body(req, NewCertificate, optional=True).given(), req.headers.get("if-match"))
    return json_response(answer, 201, {"ETag": etag})


@bp.route(route=_BASE + "/certificate/activate", methods=["POST"])
@api_handler
def activate_certificate(req: func.HttpRequest) -> func.HttpResponse:
    stored = admin_access.connection(req)
    view, etag = certificate_credentials.activate(stored, read_body(req, CertificateActivation, optional=True).given(), req.headers.get("if-match"))
    return json_response(view, headers={"ETag": etag})
