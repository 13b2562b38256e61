"""Admin API: creating API keys (global key only)."""
from __future__ import annotations

import azure.functions as func

from shared.orgs import api_keys, events, organizations
from shared.platform import validation as v
from shared.platform.errors import SsoError
from shared.web.http import api_handler, json_response, read_json

bp = func.Blueprint()


@bp.route(route="api/api-keys", methods=["POST"])
@api_handler
def create_api_key(req: func.HttpRequest) -> func.HttpResponse:
    api_keys.authenticate(req).require_global()
    body = read_json(req, {"organization", "name"})
    if "name" not in body:
        raise SsoError("missing_field", "`name` is required: say what the key is for.")
    name = v.text("name", body["name"])
    org = body.get("organization")
    if org is not None:
        organizations.require(v.slug("organization", org))
    record, key = api_keys.create_key(name, org)
    if org is not None:
        events.record(org, "api_key.created", detail={"key_id": record.id, "name": name})
    return json_response({**record.public(), "key": key}, 201)
