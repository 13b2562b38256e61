"""SAML routes of a connection: SP metadata and the Assertion Consumer Service; and the daily
refresh of IdP metadata URLs.

The SAML stack (python3-saml, xmlsec, lxml) is imported by the first SAML request, not at cold
start (shared/saml's facade loads it on first use): most instances serve OIDC sign-ins and the
admin API only."""
from __future__ import annotations

import azure.functions as func

from shared.lifecycle import metadata_refresh
from shared.signin import saml_ending
from shared.web.http import browser_handler, read_form
from shared.web.sign_in_response import sign_in_response

bp = func.Blueprint()


@bp.route(route="auth/sso/saml/{connection}/metadata", methods=["GET"])
@browser_handler
def saml_metadata(req: func.HttpRequest) -> func.HttpResponse:
    xml = saml_ending.sp_metadata(req.route_params["connection"])
    return func.HttpResponse(xml, mimetype="application/samlmetadata+xml", headers={"Cache-Control": "public, max-age=3600"})


@bp.route(route="auth/sso/saml/{connection}/acs", methods=["POST"])
@browser_handler
def saml_acs(req: func.HttpRequest) -> func.HttpResponse:
    return sign_in_response(saml_ending.acs(req.route_params["connection"], read_form(req)))


@bp.timer_trigger(schedule="0 30 3 * * *", arg_name="timer", run_on_startup=False)
def refresh_saml_metadata(timer: func.TimerRequest) -> None:
    metadata_refresh.refresh_all()
