"""GET /auth/sso/start: the browser's entry into a sign-in; answers 302 to the IdP."""
from __future__ import annotations

import azure.functions as func

from shared.signin import microsoft_sign_in
from shared.signin import start as sign_in
from shared.signin.targets import resolve_target
from shared.web.http import browser_handler, redirect

bp = func.Blueprint()


@bp.route(route="auth/sso/start", methods=["GET"])
@browser_handler
def sso_start(req: func.HttpRequest) -> func.HttpResponse:
    if req.params.get("provider") is not None:  # Sign in with Microsoft for any account (no organization)
        return redirect(microsoft_sign_in.begin(req.params, sign_in.checked_options(req.params)))
    target = resolve_target(req.params)
    redirect_uri = sign_in.checked_redirect_uri(target.organization, req.params.get("redirect_uri"))
    return redirect(sign_in.begin(target, redirect_uri=redirect_uri, options=sign_in.checked_options(req.params)))
