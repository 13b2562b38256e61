"""GET /auth/sso/microsoft/callback: the stamp's one OIDC redirect URI, shared by all OIDC
connections; the login (and so the connection) is found from `state`."""
from __future__ import annotations

import azure.functions as func

from shared.signin import oidc_ending
from shared.web.http import browser_handler
from shared.web.sign_in_response import sign_in_response

bp = func.Blueprint()


@bp.route(route="auth/sso/microsoft/callback", methods=["GET"])
@browser_handler
def oidc_callback(req: func.HttpRequest) -> func.HttpResponse:
    return sign_in_response(oidc_ending.complete(req.params))
