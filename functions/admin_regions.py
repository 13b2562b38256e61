"""Admin API: routing entries saying on which region's stamp an organization lives."""
from __future__ import annotations

import azure.functions as func

from shared.admin.bodies import OrganizationRoute
from shared.orgs import regions
from shared.orgs.api_keys import authenticate
from shared.web.http import api_handler, json_response, read_body

bp = func.Blueprint()


@bp.route(route="api/organization-routes/{org}", methods=["PUT"])
@api_handler
def organization_route(req: func.HttpRequest) -> func.HttpResponse:
    authenticate(req).require_global()
    body = read_body(req, OrganizationRoute)
    return json_response(regions.set_route(req.route_params["org"], body.region).public())
