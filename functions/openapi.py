"""GET /api/openapi.json: the OpenAPI 3.1 document of every route, anonymous (shared/web/openapi.py)."""
from __future__ import annotations

import azure.functions as func

from shared.web.http import api_handler, json_response
from shared.web.openapi import document
from shared.web.operations import operation

bp = func.Blueprint()


@bp.route(route="api/openapi.json", methods=["GET"])
@operation("GET", "api/openapi.json", "This OpenAPI document", auth="anonymous", responses={200: "application/json"},
           operation_id="getOpenApi", tags=("Service",))
@api_handler
def openapi_document(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(document(), headers={"Cache-Control": "public, max-age=300"})
