"""POST /api/sso/token: the app's backend exchanges a one-time code for the verified profile."""
from __future__ import annotations

import azure.functions as func

from shared.orgs.api_keys import authenticate
from shared.signin import logins
from shared.signin.bodies import TokenAnswer, TokenRequest
from shared.web.http import api_handler, json_response, read_body
from shared.web.operations import operation

bp = func.Blueprint()


@bp.route(route="api/sso/token", methods=["POST"])
@operation("POST", "api/sso/token", "Exchange a one-time code for the verified profile", auth="api_key", body=TokenRequest,
           body_media_types=("application/json", "application/x-www-form-urlencoded"), responses={200: TokenAnswer},
           errors=("invalid_grant", "invalid_request"), operation_id="exchangeCode", tags=("Sign-in",),
           description="Within 60 s of the redirect, once: of simultaneous exchanges exactly one succeeds.")
@api_handler
def token(req: func.HttpRequest) -> func.HttpResponse:
    principal = authenticate(req)
    body = read_body(req, TokenRequest, form=True)
    profile = logins.redeem_code(body.code, principal.organization)
    return json_response({"profile": profile})
