"""GET /auth/sso/discover?email=: home realm discovery for the app's sign-in page.

Answers from the email's domain alone (users are never looked up), so the answer, its wording
and its cost are the same whether or not such a user exists."""
from __future__ import annotations

import azure.functions as func

from shared.policy.bodies import DiscoverAnswer, EmailQuery
from shared.policy.domains import route_email
from shared.web.http import api_handler, email_query_param, json_response
from shared.web.operations import operation

bp = func.Blueprint()


@bp.route(route="auth/sso/discover", methods=["GET"])
@operation("GET", "auth/sso/discover", "Home realm discovery: password or SSO for this email", auth="anonymous", query=EmailQuery,
           responses={200: DiscoverAnswer}, errors=("invalid_request", "storage_unavailable"), operation_id="discover", tags=("Sign-in",),
           description="From the email's domain alone: users are never looked up.")
@api_handler
def discover(req: func.HttpRequest) -> func.HttpResponse:
    routed = route_email(email_query_param(req))
    if routed is None:
        return json_response({"method": "password"})
    return json_response({"method": "sso", "organization": routed.organization, "connection": routed.connection})
