"""Admin API: organizations and their audit trail."""
from __future__ import annotations

import azure.functions as func
from pydantic import BaseModel, ConfigDict, Field

from shared.admin import access as admin_access
from shared.admin import organization_admin
from shared.admin.organization_deletion import delete_organization
from shared.orgs import events, organizations
from shared.orgs.api_keys import authenticate
from shared.web.http import api_handler, json_response, page_limit, read_json
from shared.web.operations import operation

bp = func.Blueprint()


def _shown_once(webhook_secret: str | None) -> dict:
    """The webhook signing secret is answered by the write that made it, and never again."""
    return {"notification_webhook_secret": webhook_secret} if webhook_secret else {}


@bp.route(route="api/organizations", methods=["POST"])
@api_handler
def create_organization(req: func.HttpRequest) -> func.HttpResponse:
    authenticate(req).require_global()
    stored, webhook_secret = organization_admin.create(read_json(req, organizations.CREATE_FIELDS))
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
    saved, webhook_secret = organization_admin.update(stored, read_json(req, organizations.PATCH_FIELDS), req.headers.get("if-match"))
    return json_response({**organizations.public_view(saved), **_shown_once(webhook_secret)}, headers={"ETag": saved.etag})


@bp.route(route="api/organizations/{org}/events", methods=["GET"])
@api_handler
def organization_events(req: func.HttpRequest) -> func.HttpResponse:
    slug = admin_access.organization(req).doc.id
    items, cursor = events.list_events(slug, req.params.get("cursor"), page_limit(req))
    return json_response({"items": [event.public() for event in items], "next": cursor})


class OrganizationPageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: str | None = Field(None, description="The `next` of the previous page; absent for the first.")
    limit: int = Field(50, ge=1, le=100, description="Items per page (at most 100).")


class OrganizationListed(BaseModel):
    """An organization as GET /api/organizations/{org} answers it."""
    model_config = ConfigDict(extra="allow")
    id: str
    name: str
    redirect_uris: list[str]
    allowed_sign_in_methods: list[str]
    default_connection: str | None = None
    sso_enforcement: str
    sso_required_emails: list[str]
    break_glass_emails: list[str]
    provisioning: str
    notification_webhook_url: str | None = None
    region: str | None = None
    verified_domains: list[str]
    created: str | None = None
    updated: str | None = None
    etag: str


class OrganizationList(BaseModel):
    items: list[OrganizationListed]
    next: str | None


# A function of its own beside create_organization (same route, other method), as Functions allows.
@bp.route(route="api/organizations", methods=["GET"])
@operation("GET", "api/organizations", "List the stamp's organizations", auth="global_key", query=OrganizationPageQuery,
           responses={200: OrganizationList}, errors=("unauthorized", "forbidden", "invalid_request", "storage_unavailable"),
           description="In slug order, a page at a time; follow `next` until it is null.")
@api_handler
def list_organizations(req: func.HttpRequest) -> func.HttpResponse:
    authenticate(req).require_global()
    items, cursor = organizations.list_page(req.params.get("cursor"), page_limit(req))
    return json_response({"items": [organizations.public_view(item) for item in items], "next": cursor})
