"""GET /auth/sso/start: the browser's entry into a sign-in; answers 302 to the IdP."""
from __future__ import annotations

import azure.functions as func

from shared.signin import microsoft_sign_in
from shared.signin import start as sign_in
from shared.signin.bodies import SignInStart
from shared.signin.targets import resolve_target
from shared.web.http import browser_handler, redirect
from shared.web.operations import operation

bp = func.Blueprint()


@bp.route(route="auth/sso/start", methods=["GET"])
@operation("GET", "auth/sso/start", "Start a sign-in (the browser is sent here)", auth="anonymous", query=SignInStart,
           responses={302: None},
           errors=("invalid_request", "invalid_field", "unknown_connection", "unknown_organization", "no_sso_connection", "sso_not_allowed",
                   "invalid_redirect_uri", "connection_disabled", "connection_pending", "storage_unavailable", "secret_store_unavailable",
                   "temporarily_unavailable", "authority_unreachable"),
           operation_id="startSignIn", tags=("Sign-in",),
           description="302 to Entra. Errors are an HTML page, or JSON when the client asks for `application/json` only.")
@browser_handler
def sso_start(req: func.HttpRequest) -> func.HttpResponse:
    if req.params.get("provider") is not None:  # Sign in with Microsoft for any account (no organization)
        return redirect(microsoft_sign_in.begin(req.params, sign_in.checked_options(req.params)))
    target = resolve_target(req.params)
    redirect_uri = sign_in.checked_redirect_uri(target.organization, req.params.get("redirect_uri"))
    return redirect(sign_in.begin(target, redirect_uri=redirect_uri, options=sign_in.checked_options(req.params)))
