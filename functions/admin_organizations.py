"""Admin API: organizations and their audit trail."""
from __future__ import annotations

import azure.functions as func

from shared.admin import access as admin_access
from shared.admin import organization_admin
from shared.admin.bodies import NewOrganization, OrganizationChanges
from shared.admin.organization_deletion import delete_organization
from shared.orgs import events, organizations
from shared.orgs.api_keys import authenticate
from shared.web.http import api_handler, json_response, page_limit, read_body

bp = func.Blueprint()


def _shown_once(webhook_secret: str | None) -> dict:
    """The webhook signing secret is answered by the write that made it, and never again."""
    return {"notification_webhook_secret": webhook_secret} if webhook_secret else {}


@bp.route(route="api/organizations", methods=["POST"])
@api_handler
def create_organization(req: func.HttpRequest) -> func.HttpResponse:
    authenticate(req).require_global()
    stored, webhook_secret = organization_admin.create(read_body(req, NewOrganization).given())
    return json_response({**organizations.public_view(stored), **_shown_once(webhook_secret)}, 201, {"ETag": stored.etag})


@bp.route(route="api/organizations/{org}", methods=["GET", "PATCH", "DELETE"])
@api_handler
def organization(req: func.HttpRequest) -> func.HttpResponse:
    stored = admin_access.organization(req)
    if req.method == "GET":
        return json_response(organizations.public_view(stored), headers={"ETag": stored.etag})
    if req.method == "DELETE":
        delete_organization(stored)
        return func.HttpResponse(status_code=204)
    saved, webhook_secret = organization_admin.update(stored, read_body(req, OrganizationChanges).given(), req.headers.get("if-match"))
    return json_response({**organizations.public_view(saved), **_shown_once(webhook_secret)}, headers={"ETag": saved.etag})


@bp.route(route="api/organizations/{org}/events", methods=["GET"])
@api_handler
def organization_events(req: func.HttpRequest) -> func.HttpResponse:
    slug = admin_access.organization(req).doc.id
    items, cursor = events.list_events(slug, req.params.get("cursor"), page_limit(req))
    return json_response({"items": [event.public() for event in items], "next": cursor})
