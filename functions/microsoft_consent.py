"""GET /auth/sso/microsoft/consent: Entra's answer to the admin consent of a one-click
connection. Never proof by itself: it sends the admin on to sign in, which proves it."""

import azure.functions as func
from pydantic import BaseModel, ConfigDict

from shared.signin import consent
from shared.web.http import browser_handler, redirect
from shared.web.operations import operation

bp = func.Blueprint()


class ConsentAnswer(BaseModel):
    """What Entra appends to the consent redirect URI."""
    model_config = ConfigDict(defer_build=True, extra="allow")
    state: str | None = None
    admin_consent: str | None = None
    tenant: str | None = None
    scope: str | None = None
    error: str | None = None
    error_description: str | None = None


@bp.route(route="auth/sso/microsoft/consent", methods=["GET"])
@operation("GET", "auth/sso/microsoft/consent", "Entra's admin consent answer for a one-click connection", auth="anonymous",
           query=ConsentAnswer, responses={302: None, 400: "text/html", 503: "text/html"},
           errors=("invalid_state", "consent_expired", "admin_consent_declined", "admin_consent_failed", "consent_tenant_mismatch",
                   "consent_already_bound", "unknown_connection", "shared_app_not_configured", "storage_unavailable"),
           description="Spends the consent request named by `state` (once), then redirects the admin to sign in through the "
                       "shared app in the consented tenant; that sign-in, verified at the callback, binds the tenant.")
@browser_handler
def microsoft_consent(req: func.HttpRequest) -> func.HttpResponse:
    return redirect(consent.answer(req.params))
