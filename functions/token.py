"""POST /api/sso/token: the app's backend exchanges a one-time code for the verified profile."""
from __future__ import annotations

import azure.functions as func

from shared.orgs import api_keys
from shared.platform.errors import SsoError
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
    # An org key this instance verified before is not read again: its guard op goes into the
    # code's spend (shared/orgs/api_keys.py), so a revoked key fails it; any failure then reads
    # the key, so that a revoked key is always 401, never the code's own error.
    principal, guard = api_keys.authenticate_within(req)
    try:
        body = read_body(req, TokenRequest, form=True)
    except SsoError:
        if guard is not None:
            api_keys.recheck(principal)
        raise
    return json_response({"profile": logins.redeem_code_for(body.code, principal, guard)})
