"""Admin API: organizations and their audit trail."""
from __future__ import annotations

import azure.functions as func

from shared import events, organizations
from shared.api_keys import authenticate
from shared.organization_deletion import delete_organization
from shared.errors import SsoError
from shared.http import api_handler, json_response, read_json

bp = func.Blueprint()


def _if_match(req: func.HttpRequest, current_etag: str) -> str:
    """The etag the write must match: the client's If-Match when given, else what we just read."""
    wanted = req.headers.get("if-match")
    if wanted and wanted != "*" and wanted != current_etag:
        raise SsoError("conflict")
    return current_etag


def _shown_once(webhook_secret: str | None) -> dict:
    """The webhook signing secret is answered by the write that made it, and never again."""
    return {"notification_webhook_secret": webhook_secret} if webhook_secret else {}


@bp.route(route="api/organizations", methods=["POST"])
@api_handler
def create_organization(req: func.HttpRequest) -> func.HttpResponse:
    authenticate(req).require_global()
    org = organizations.new_organization(read_json(req, organizations.CREATE_FIELDS))
    webhook_secret = organizations.issue_webhook_secret(org)  # before the record that pins it
    etag = organizations.insert(org)
    events.record(org["id"], "organization.created")
    return json_response({**organizations.visible(org), "etag": etag, **_shown_once(webhook_secret)}, 201, {"ETag": etag})


@bp.route(route="api/organizations/{org}", methods=["GET", "PATCH", "DELETE"])
@api_handler
def organization(req: func.HttpRequest) -> func.HttpResponse:
    slug = req.route_params["org"]
    authenticate(req).require_organization(slug)
    stored = organizations.require(slug)
    if req.method == "GET":
        return json_response(organizations.public_view(stored), headers={"ETag": stored.etag})
    if req.method == "DELETE":
        delete_organization(stored)
        return func.HttpResponse(status_code=204)
    changes = organizations.clean_fields(read_json(req, organizations.PATCH_FIELDS))
    organizations.refuse_lock_out({**stored.doc, **changes}, changes)
    expected_etag = _if_match(req, stored.etag)
    updated = {**stored.doc, **changes}
    webhook_secret = organizations.issue_webhook_secret(updated, stored.doc) if "notification_webhook_url" in changes else None
    etag = organizations.save(updated, expected_etag)
    events.record(slug, "organization.updated", detail={"fields": sorted(changes), "webhook_secret_issued": webhook_secret is not None})
    return json_response({**organizations.visible(updated), "etag": etag, **_shown_once(webhook_secret)}, headers={"ETag": etag})


@bp.route(route="api/organizations/{org}/events", methods=["GET"])
@api_handler
def organization_events(req: func.HttpRequest) -> func.HttpResponse:
    slug = req.route_params["org"]
    authenticate(req).require_organization(slug)
    organizations.require(slug)
    try:
        limit = int(req.params.get("limit", "50"))
    except ValueError:
        raise SsoError("invalid_request", "`limit` must be a whole number from 1 to 100.") from None
    items, cursor = events.list_events(slug, req.params.get("cursor"), limit)
    return json_response({"items": items, "next": cursor})
