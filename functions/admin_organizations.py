"""Admin API: organizations and their audit trail."""
from __future__ import annotations

import azure.functions as func

from shared.admin import access as admin_access
from shared.orgs import events, organizations
from shared.orgs.api_keys import authenticate
from shared.web.http import api_handler, json_response, page_limit, read_json
from shared.admin.organization_deletion import delete_organization
from shared.storage import tables

bp = func.Blueprint()


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
    stored = admin_access.organization(req)
    slug = stored.doc["id"]
    if req.method == "GET":
        return json_response(organizations.public_view(stored), headers={"ETag": stored.etag})
    if req.method == "DELETE":
        delete_organization(stored)
        return func.HttpResponse(status_code=204)
    changes = organizations.clean_fields(read_json(req, organizations.PATCH_FIELDS))
    organizations.refuse_lock_out({**stored.doc, **changes}, changes)
    organizations.refuse_unknown_default({**stored.doc, **changes}, changes)
    tables.check_if_match(req.headers.get("if-match"), stored.etag)
    updated = {**stored.doc, **changes}
    webhook_secret = organizations.issue_webhook_secret(updated, stored.doc) if "notification_webhook_url" in changes else None
    etag = organizations.save(updated, stored.etag)
    events.record(slug, "organization.updated", detail={"fields": sorted(changes), "webhook_secret_issued": webhook_secret is not None})
    return json_response({**organizations.visible(updated), "etag": etag, **_shown_once(webhook_secret)}, headers={"ETag": etag})


@bp.route(route="api/organizations/{org}/events", methods=["GET"])
@api_handler
def organization_events(req: func.HttpRequest) -> func.HttpResponse:
    slug = admin_access.organization(req).doc["id"]
    items, cursor = events.list_events(slug, req.params.get("cursor"), page_limit(req))
    return json_response({"items": items, "next": cursor})
