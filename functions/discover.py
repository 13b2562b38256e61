"""GET /auth/sso/discover?email=: home realm discovery for the app's sign-in page.

Answers from the email's domain alone (users are never looked up), so the answer, its wording
and its cost are the same whether or not such a user exists."""
from __future__ import annotations

import azure.functions as func

from shared import validation as v
from shared.domains import route_email
from shared.errors import SsoError
from shared.http import api_handler, json_response, query_param

bp = func.Blueprint()


@bp.route(route="auth/sso/discover", methods=["GET"])
@api_handler
def discover(req: func.HttpRequest) -> func.HttpResponse:
    raw = query_param(req, "email", max_length=320)
    if not raw:
        raise SsoError("invalid_request", "Give the `email` the user typed, e.g. /auth/sso/discover?email=ada@contoso.com.")
    try:
        email = v.email("email", raw)
    except SsoError:
        raise SsoError("invalid_request", "`email` must be an email address such as ada@contoso.com.") from None
    routed = route_email(email)
    if routed is None:
        return json_response({"method": "password"})
    return json_response({"method": "sso", "organization": routed.organization, "connection": routed.connection})
