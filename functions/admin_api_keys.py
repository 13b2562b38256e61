"""Admin API: API keys: creating them (global key only), an org's list, revoking one."""

import azure.functions as func
from pydantic import BaseModel, ConfigDict, Field

from shared.admin import access as admin_access
from shared.admin.bodies import NewApiKey
from shared.admin.views import ApiKeyCreated
from shared.orgs import api_keys, events, organizations
from shared.platform.errors import SsoError
from shared.web.http import api_handler, json_response, no_content, page_limit, read_body
from shared.web.operations import operation

bp = func.Blueprint()


class PageQuery(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    cursor: str | None = Field(None, description="The `next` of the previous page; absent for the first.")
    limit: int = Field(50, ge=1, le=100, description="Items per page (at most 100).")


class ApiKeyListed(BaseModel):
    """A key as listed: never the key itself, nor any character of its secret part."""

    model_config = ConfigDict(defer_build=True)  # its schema is built on first use, not at cold start
    id: str
    name: str
    prefix: str = Field(description="How the key begins (`sso_<id>_`), to recognise it where it is configured.")
    created: str
    last_used: str | None = Field(description="When the key last authenticated a request, to the hour; null if never.")


class ApiKeyList(BaseModel):
    model_config = ConfigDict(defer_build=True)  # its schema is built on first use, not at cold start
    items: list[ApiKeyListed]
    next: str | None


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


@bp.route(route="api/organizations/{org}/api-keys", methods=["GET"])
@operation("GET", "api/organizations/{org}/api-keys", "List an organization's API keys", auth="api_key",
           query=PageQuery, responses={200: ApiKeyList}, errors=("unauthorized", "not_found", "invalid_request", "storage_unavailable"),
           description="The org's keys with how each begins and when it was last used (to the hour); never a key itself.")
@api_handler
def organization_api_keys(req: func.HttpRequest) -> func.HttpResponse:
    slug = admin_access.organization(req).doc.id
    items, cursor = api_keys.list_keys(slug, req.params.get("cursor"), page_limit(req))
    return json_response({"items": [item.listed() for item in items], "next": cursor})


@bp.route(route="api/api-keys/{id}", methods=["DELETE"])
@operation("DELETE", "api/api-keys/{id}", "Revoke an API key", auth="api_key", responses={204: None},
           errors=("unauthorized", "not_found", "conflict", "storage_unavailable"),
           description="Takes effect at once on every instance. The global key revokes any key; an organization's key "
                       "revokes its own organization's keys (itself included); any other key looks absent (404).")
@api_handler
def revoke_api_key(req: func.HttpRequest) -> func.HttpResponse:
    principal = api_keys.authenticate(req)
    key = api_keys.revokable(principal, req.route_params["id"])
    if not api_keys.revoke(key.id):
        raise SsoError("not_found", f"No API key {key.id!r}.")
    if key.organization is not None:
        events.record(key.organization, "api_key.revoked", detail={"key_id": key.id, "name": key.name, "by": principal.key_id})
    return no_content()
