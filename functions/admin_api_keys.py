"""Admin API: creating API keys (global key only)."""
from __future__ import annotations

import azure.functions as func

from shared.admin.bodies import NewApiKey
from shared.admin.views import ApiKeyCreated
from shared.orgs import api_keys, events, organizations
from shared.web.http import api_handler, json_response, read_body
from shared.web.operations import operation

bp = func.Blueprint()


@bp.route(route="api/api-keys", methods=["POST"])
@operation("POST", "api/api-keys", "Create an API key", auth="global_key", body=NewApiKey, responses={201: ApiKeyCreated},
           errors=("not_found",), operation_id="createApiKey", tags=("API keys",),
           description="An org-scoped key sees only its organization. The key is answered once.")
@api_handler
def create_api_key(req: func.HttpRequest) -> func.HttpResponse:
    api_keys.authenticate(req).require_global()
    body = read_body(req, NewApiKey)
    name, org = body.name, body.organization
    if org is not None:
        organizations.require(org)
    record, key = api_keys.create_key(name, org)
    if org is not None:
        events.record(org, "api_key.created", detail={"key_id": record.id, "name": name})
    return json_response({**record.public(), "key": key}, 201)
