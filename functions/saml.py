"""SAML routes of a connection: SP metadata and the Assertion Consumer Service; and the daily
refresh of IdP metadata URLs.

The SAML stack (python3-saml, xmlsec, lxml) is imported by the first SAML request, not at cold
start (shared/saml's facade loads it on first use): most instances serve OIDC sign-ins and the
admin API only."""
from __future__ import annotations

import azure.functions as func

from shared.lifecycle import metadata_refresh
from shared.platform.errors import CATALOGUE
from shared.signin import saml_ending
from shared.signin.bodies import SamlPost
from shared.web.http import browser_handler, read_form_body, xml_response
from shared.web.operations import operation
from shared.web.sign_in_response import sign_in_response

bp = func.Blueprint()
_ACS_ERRORS = ("invalid_request", "unsupported_media_type", "payload_too_large", "unknown_field", "missing_field", "invalid_state",
               "login_expired", "saml_assertion_replayed", "temporarily_unavailable", "storage_unavailable", "secret_store_unavailable",
               "unknown_connection", "connection_disabled", "connection_pending", "sso_not_allowed", "user_not_invited",
               *(code for code in CATALOGUE if code.startswith("saml_")))


@bp.route(route="auth/sso/saml/{connection}/metadata", methods=["GET"])
@operation("GET", "auth/sso/saml/{connection}/metadata", "A SAML connection's SP metadata (for Entra)", auth="anonymous",
           responses={200: "application/samlmetadata+xml"}, errors=("not_found", "storage_unavailable"),
           operation_id="samlMetadata", tags=("Sign-in",))
@browser_handler
def saml_metadata(req: func.HttpRequest) -> func.HttpResponse:
    xml = saml_ending.sp_metadata(req.route_params["connection"])
    return xml_response(xml, "application/samlmetadata+xml", {"Cache-Control": "public, max-age=3600"})


@bp.route(route="auth/sso/saml/{connection}/acs", methods=["POST"])
@operation("POST", "auth/sso/saml/{connection}/acs", "A SAML connection's Assertion Consumer Service (Entra posts here)", auth="anonymous",
           body=SamlPost, body_media_types=("application/x-www-form-urlencoded",), responses={302: None, 200: "text/html"},
           errors=_ACS_ERRORS, operation_id="samlAcs", tags=("Sign-in",),
           description="302 to the app's redirect URI with `code` (or `error`); a test sign-in ends on a diagnostic page.")
@browser_handler
def saml_acs(req: func.HttpRequest) -> func.HttpResponse:
    return sign_in_response(saml_ending.acs(req.route_params["connection"], read_form_body(req, SamlPost).given()))


@bp.timer_trigger(schedule="0 30 3 * * *", arg_name="timer", run_on_startup=False)
def refresh_saml_metadata(timer: func.TimerRequest) -> None:
    metadata_refresh.refresh_all()
