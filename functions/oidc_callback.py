"""GET /auth/sso/microsoft/callback: the stamp's one OIDC redirect URI, shared by all OIDC
connections; the login (and so the connection) is found from `state`."""
from __future__ import annotations

import azure.functions as func

from shared.platform.errors import CATALOGUE
from shared.signin import oidc_ending
from shared.signin.bodies import OidcCallback
from shared.web.http import browser_handler
from shared.web.operations import operation
from shared.web.sign_in_response import sign_in_response

bp = func.Blueprint()
# Before the app's redirect URI is known, a failure is an error page with its code (after it, a 302 there with `error`).
_ERRORS = ("invalid_request", "invalid_state", "login_expired", "invalid_callback", "temporarily_unavailable", "storage_unavailable",
           "secret_store_unavailable", "unknown_connection", "connection_disabled", "sso_not_allowed", "user_not_invited", "tenant_not_allowed",
           "redirect_uri_mismatch", "invalid_client_secret", "client_secret_expired", "invalid_client_certificate", "user_not_assigned",
           "consent_required", "application_not_found", "access_denied", "interaction_required", "idp_error",
           *(code for code in CATALOGUE if code.startswith("id_token_")))


@bp.route(route="auth/sso/microsoft/callback", methods=["GET"])
@operation("GET", "auth/sso/microsoft/callback", "The stamp's OIDC redirect URI (Entra sends the browser here)", auth="anonymous",
           query=OidcCallback, responses={302: None, 200: "text/html"}, errors=_ERRORS, operation_id="oidcCallback", tags=("Sign-in",),
           description="302 to the app's redirect URI with `code` (or `error`); a test sign-in ends on a diagnostic page.")
@browser_handler
def oidc_callback(req: func.HttpRequest) -> func.HttpResponse:
    return sign_in_response(oidc_ending.complete(req.params))
