"""Admin API: an organization's sign-in policy for one email, and its invitations."""
from __future__ import annotations

import azure.functions as func

from shared.admin import access as admin_access
from shared.policy import invitations, sign_in_policy
from shared.policy.bodies import InvitationRequest
from shared.web.http import api_handler, email_query_param, json_response, page_limit, read_body

bp = func.Blueprint()


@bp.route(route="api/organizations/{org}/sign-in-policy", methods=["GET"])
@api_handler
def sign_in_policy_for_email(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc
    return json_response(sign_in_policy.policy_for(org, email_query_param(req)))


@bp.route(route="api/organizations/{org}/invitations", methods=["GET", "POST"])
@api_handler
def organization_invitations(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc
    if req.method == "GET":
        items, cursor = invitations.list_invitations(org, req.params.get("cursor"), page_limit(req))
        return json_response({"items": items, "next": cursor})
    view, created = invitations.create(org, read_body(req, InvitationRequest).given())
    return json_response(view, 201 if created else 200)


@bp.route(route="api/organizations/{org}/invitations/{invitation}", methods=["GET", "DELETE"])
@api_handler
def organization_invitation(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc
    if req.method == "DELETE":
        invitations.remove(org, req.route_params["invitation"])
        return func.HttpResponse(status_code=204)
    return json_response(invitations.require(org, req.route_params["invitation"]).doc.public())
