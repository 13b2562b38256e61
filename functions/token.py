"""POST /api/sso/token: the app's backend exchanges a one-time code for the verified profile."""
from __future__ import annotations

import azure.functions as func

from shared.orgs.api_keys import authenticate
from shared.signin import logins
from shared.web.http import api_handler, json_response, read_json_or_form

bp = func.Blueprint()


@bp.route(route="api/sso/token", methods=["POST"])
@api_handler
def token(req: func.HttpRequest) -> func.HttpResponse:
    principal = authenticate(req)
    body = read_json_or_form(req, {"code"})
    profile = logins.redeem_code(body.get("code"), principal.organization)
    return json_response({"profile": profile})
