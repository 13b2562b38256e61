"""Admin API: routing entries saying on which region's stamp an organization lives."""
from __future__ import annotations

import azure.functions as func

from shared.admin.bodies import OrganizationRoute
from shared.admin.views import RouteView
from shared.orgs import regions
from shared.orgs.api_keys import authenticate
from shared.web.http import api_handler, json_response, read_body
from shared.web.operations import operation

bp = func.Blueprint()


@bp.route(route="api/organization-routes/{org}", methods=["PUT"])
@operation("PUT", "api/organization-routes/{org}", "Record that an organization lives on another region's stamp", auth="global_key",
           body=OrganizationRoute, responses={200: RouteView}, operation_id="setOrganizationRoute", tags=("Regions",),
           description="This stamp then answers 307 to that region's stamp (SSO_REGION_URLS) instead of 404.")
@api_handler
def organization_route(req: func.HttpRequest) -> func.HttpResponse:
    authenticate(req).require_global()
    body = read_body(req, OrganizationRoute)
    return json_response(regions.set_route(req.route_params["org"], body.region).public())
