"""Admin API: an organization's sign-in policy for one email, and its invitations."""
from __future__ import annotations

import azure.functions as func

from shared.admin import access as admin_access
from shared.admin.bodies import ListQuery
from shared.admin.views import InvitationList, InvitationView, SignInPolicyAnswer
from shared.policy import invitations, sign_in_policy
from shared.policy.bodies import EmailQuery, InvitationRequest
from shared.web.http import api_handler, email_query_param, json_response, no_content, page_limit, read_body
from shared.web.operations import Link, operation

bp = func.Blueprint()
TAGS = ("Sign-in policy",)
_INVITATIONS = "api/organizations/{org}/invitations"
_ONE = _INVITATIONS + "/{invitation}"
_THIS = {"org": "$request.path.org", "invitation": "$response.body#/id"}
_AFTER_INVITE = tuple(Link(status, target, _THIS) for status in (200, 201) for target in ("getInvitation", "deleteInvitation"))


@bp.route(route="api/organizations/{org}/sign-in-policy", methods=["GET"])
@operation("GET", "api/organizations/{org}/sign-in-policy", "How one email may sign in to the organization", auth="api_key",
           query=EmailQuery, responses={200: SignInPolicyAnswer, 307: None}, errors=("not_found", "invalid_request"),
           operation_id="getSignInPolicy", tags=TAGS)
@api_handler
def sign_in_policy_for_email(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc
    return json_response(sign_in_policy.policy_for(org, email_query_param(req)))


@bp.route(route="api/organizations/{org}/invitations", methods=["GET", "POST"])
@operation("GET", _INVITATIONS, "List an organization's invitations", auth="api_key", query=ListQuery,
           responses={200: InvitationList, 307: None}, errors=("not_found", "invalid_request"), operation_id="listInvitations", tags=TAGS)
@operation("POST", _INVITATIONS, "Invite an email", auth="api_key", body=InvitationRequest,
           responses={201: InvitationView, 200: InvitationView, 307: None}, errors=("not_found", "conflict"),
           operation_id="createInvitation", tags=TAGS, links=_AFTER_INVITE, description="Inviting again answers the same invitation (200).")
@api_handler
def organization_invitations(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc
    if req.method == "GET":
        items, cursor = invitations.list_invitations(org, req.params.get("cursor"), page_limit(req))
        return json_response({"items": items, "next": cursor})
    view, created = invitations.create(org, read_body(req, InvitationRequest).given())
    return json_response(view, 201 if created else 200)


@bp.route(route="api/organizations/{org}/invitations/{invitation}", methods=["GET", "DELETE"])
@operation("GET", _ONE, "Read an invitation", auth="api_key", responses={200: InvitationView, 307: None}, errors=("not_found",),
           operation_id="getInvitation", tags=TAGS)
@operation("DELETE", _ONE, "Delete an invitation", auth="api_key", responses={204: None, 307: None}, errors=("not_found",),
           operation_id="deleteInvitation", tags=TAGS)
@api_handler
def organization_invitation(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc
    if req.method == "DELETE":
        invitations.remove(org, req.route_params["invitation"])
        return no_content()
    return json_response(invitations.require(org, req.route_params["invitation"]).doc.public())
