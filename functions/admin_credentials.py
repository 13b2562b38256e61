"""Admin API: an OIDC connection's credentials. Secret rotation and rollback, certificate
credentials (create, then activate once uploaded to Entra). Each is proven with Entra before
it becomes current; see shared/lifecycle/credential_rotation.py and shared/lifecycle/certificate_credentials.py."""
from __future__ import annotations

import azure.functions as func

from shared.admin import access as admin_access
from shared.admin.bodies import CertificateActivation, NewCertificate, NewClientSecret, NoBody
from shared.admin.views import ConnectionView, NewCertificateAnswer
from shared.lifecycle import certificate_credentials, credential_rotation
from shared.web.http import api_handler, json_response, read_body
from shared.web.operations import operation

bp = func.Blueprint()

_BASE = "api/organizations/{org}/connections/{connection}"
TAGS = ("Credentials",)
ETAG = {"ETag": "The connection's etag, for If-Match."}
_COMMON = ("not_found", "not_oidc_connection", "conflict", "secret_store_unavailable")
_PROOF = ("authority_unreachable", "tenant_not_found", "application_not_found", "invalid_client_secret", "client_secret_expired",
          "invalid_client_certificate", "idp_error")


@bp.route(route=_BASE + "/secret", methods=["POST"])
@operation("POST", _BASE + "/secret", "Rotate in a new client secret", auth="api_key", body=NewClientSecret,
           responses={200: ConnectionView, 307: None}, errors=(*_COMMON, "client_secret_unchanged", *_PROOF),
           operation_id="rotateSecret", tags=TAGS, headers={200: ETAG},
           description="Proven with Entra before it becomes current; a refused secret changes nothing.")
@api_handler
def rotate_secret(req: func.HttpRequest) -> func.HttpResponse:
    stored = admin_access.connection(req)
    view, etag = credential_rotation.rotate_secret(stored, read_body(req, NewClientSecret).given(), req.headers.get("if-match"))
    return json_response(view, headers={"ETag": etag})


@bp.route(route=_BASE + "/secret/rollback", methods=["POST"])
@operation("POST", _BASE + "/secret/rollback", "Restore the credential the last rotation replaced (within 7 days)", auth="api_key",
           body=NoBody, responses={200: ConnectionView, 307: None}, errors=(*_COMMON, "rollback_unavailable", *_PROOF),
           operation_id="rollbackSecret", tags=TAGS, headers={200: ETAG}, body_required=False, description="No body, or `{}`.")
@api_handler
def rollback_secret(req: func.HttpRequest) -> func.HttpResponse:
    stored = admin_access.connection(req)
    read_body(req, NoBody, optional=True)  # these POSTs need no body: none (or `{}`) is fine
    view, etag = credential_rotation.rollback(stored, req.headers.get("if-match"))
    return json_response(view, headers={"ETag": etag})


@bp.route(route=_BASE + "/certificate", methods=["POST"])
@operation("POST", _BASE + "/certificate", "Create a certificate credential to upload to Entra", auth="api_key", body=NewCertificate,
           responses={201: NewCertificateAnswer, 307: None}, errors=_COMMON, operation_id="createCertificate", tags=TAGS,
           headers={201: ETAG}, body_required=False, description="No body: a 2048-bit key valid one year. Pending until activated.")
@api_handler
def create_certificate(req: func.HttpRequest) -> func.HttpResponse:
    stored = admin_access.connection(req)
    answer, etag = certificate_credentials.create(stored, read_body(req, NewCertificate, optional=True).given(), req.headers.get("if-match"))
    return json_response(answer, 201, {"ETag": etag})


@bp.route(route=_BASE + "/certificate/activate", methods=["POST"])
@operation("POST", _BASE + "/certificate/activate", "Make the uploaded certificate current", auth="api_key", body=CertificateActivation,
           responses={200: ConnectionView, 307: None}, errors=(*_COMMON, "no_pending_certificate", *_PROOF),
           operation_id="activateCertificate", tags=TAGS, headers={200: ETAG}, body_required=False,
           description="Proven with a client assertion signed by it before it becomes current.")
@api_handler
def activate_certificate(req: func.HttpRequest) -> func.HttpResponse:
    stored = admin_access.connection(req)
    view, etag = certificate_credentials.activate(stored, read_body(req, CertificateActivation, optional=True).given(), req.headers.get("if-match"))
    return json_response(view, headers={"ETag": etag})
