"""POST /api/sso/token: the app's backend exchanges a one-time code for the verified profile."""
from __future__ import annotations

import azure.functions as func

from shared.orgs.api_keys import authenticate
from shared.signin import logins
from shared.signin.bodies import TokenRequest
from shared.web.http import api_handler, json_response, read_body

bp = func.Blueprint()


@bp.route(route="api/sso/token", methods=["POST"])
@api_handler
def token(req: func.HttpRequest) -> func.HttpResponse:
    principal = authenticate(req)
    body = read_body(req, TokenRequest, form=True)
    profile = logins.redeem_code(body.code, principal.organization)
    return json_response({"profile": profile})
