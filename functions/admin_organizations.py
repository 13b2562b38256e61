"""Admin API: organizations and their audit trail."""

import azure.functions as func
from pydantic import BaseModel, ConfigDict, Field

from shared.admin import access as admin_access
from shared.admin import organization_admin
from shared.admin.bodies import ListQuery, NewOrganization, OrganizationChanges
from shared.admin.organization_deletion import delete_organization
from shared.admin.views import EventList, OrganizationView
from shared.orgs import events, organizations
from shared.orgs.api_keys import authenticate
from shared.web.http import api_handler, json_response, no_content, page_limit, read_body
from shared.web.operations import Link, operation

bp = func.Blueprint()
TAGS = ("Organizations",)
ETAG = {"ETag": "The organization's etag, for If-Match."}
_ORG = "api/organizations/{org}"
_THIS = {"org": "$response.body#/id"}
_AFTER_CREATE = tuple(Link(201, target, _THIS) for target in (
    "getOrganization", "updateOrganization", "deleteOrganization", "listConnections", "createConnection", "listDomains", "claimDomain",
    "listInvitations", "createInvitation", "listEvents"))


def _shown_once(webhook_secret: str | None) -> dict:
    """The webhook signing secret is answered by the write that made it, and never again."""
    return {"notification_webhook_secret": webhook_secret} if webhook_secret else {}


@bp.route(route="api/organizations", methods=["POST"])
@operation("POST", "api/organizations", "Create an organization", auth="global_key", body=NewOrganization,
           responses={201: OrganizationView}, errors=("already_exists", "policy_locks_out", "secret_store_unavailable"),
           operation_id="createOrganization", tags=TAGS, links=_AFTER_CREATE, headers={201: ETAG},
           description="`notification_webhook_secret` is answered once, when the body sets `notification_webhook_url`.")
@api_handler
def create_organization(req: func.HttpRequest) -> func.HttpResponse:
    authenticate(req).require_global()
    stored, webhook_secret = organization_admin.create(read_body(req, NewOrganization).given())
    return json_response({**organizations.public_view(stored), **_shown_once(webhook_secret)}, 201, {"ETag": stored.etag})


@bp.route(route="api/organizations/{org}", methods=["GET", "PATCH", "DELETE"])
@operation("GET", _ORG, "Read an organization", auth="api_key", responses={200: OrganizationView, 307: None}, errors=("not_found",),
           operation_id="getOrganization", tags=TAGS, headers={200: ETAG})
@operation("PATCH", _ORG, "Change an organization", auth="api_key", body=OrganizationChanges, responses={200: OrganizationView, 307: None},
           errors=("not_found", "conflict", "policy_locks_out", "secret_store_unavailable"),
           operation_id="updateOrganization", tags=TAGS, headers={200: ETAG},
           description="Only the fields sent change. `If-Match` (optional): change only if the etag still matches, else 412.")
@operation("DELETE", _ORG, "Delete an organization and everything it owns", auth="api_key", responses={204: None, 307: None},
           errors=("not_found", "conflict", "secret_store_unavailable"), operation_id="deleteOrganization", tags=TAGS,
           description="Stops the org's sign-ins on every instance at once; leaves none of its rows behind.")
@api_handler
def organization(req: func.HttpRequest) -> func.HttpResponse:
    stored = admin_access.organization(req)
    if req.method == "GET":
        return json_response(organizations.public_view(stored), headers={"ETag": stored.etag})
    if req.method == "DELETE":
        delete_organization(stored)
        return no_content()
    saved, webhook_secret = organization_admin.update(stored, read_body(req, OrganizationChanges).given(), req.headers.get("if-match"))
    return json_response({**organizations.public_view(saved), **_shown_once(webhook_secret)}, headers={"ETag": saved.etag})


@bp.route(route="api/organizations/{org}/events", methods=["GET"])
@operation("GET", _ORG + "/events", "List an organization's events (newest first)", auth="api_key", query=ListQuery,
           responses={200: EventList, 307: None}, errors=("not_found", "invalid_request"), operation_id="listEvents", tags=TAGS)
@api_handler
def organization_events(req: func.HttpRequest) -> func.HttpResponse:
    slug = admin_access.organization(req).doc.id
    items, cursor = events.list_events(slug, req.params.get("cursor"), page_limit(req))
    return json_response({"items": [event.public() for event in items], "next": cursor})


class OrganizationPageQuery(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    cursor: str | None = Field(None, description="The `next` of the previous page; absent for the first.")
    limit: int = Field(50, ge=1, le=100, description="Items per page (at most 100).")


class OrganizationListed(BaseModel):
    """An organization as GET /api/organizations/{org} answers it."""
    model_config = ConfigDict(defer_build=True, extra="allow")
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
    model_config = ConfigDict(defer_build=True)  # its schema is built on first use, not at cold start
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
