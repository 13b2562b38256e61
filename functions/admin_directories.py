"""Admin API: an organization's directories (SCIM provisioning from Entra), their Secret Token,
and the SaaS's view of what Entra provisioned: users, groups, the event feed. Logic:
shared/directory/directories.py, shared/directory/views.py, shared/directory/feed.py."""
from __future__ import annotations

import azure.functions as func

from shared.admin import access as admin_access
from shared.directory import directories, feed, users, views
from shared.directory.bodies import (
    DirectoryCreate,
    DirectoryList,
    DirectoryPatch,
    DirectoryTokenRequest,
    DirectoryUserView,
    DirectoryView,
    EventPage,
    Page,
    TokenView,
    UserPatch,
)
from shared.orgs import connections, events
from shared.platform.errors import SsoError
from shared.web.http import api_handler, json_response, page_limit, query_param, read_body
from shared.web.operations import operation

bp = func.Blueprint()

_BASE = "api/organizations/{org}/directories"
_ONE = _BASE + "/{directory}"


def _connection(org: str, connection_id: str | None) -> str | None:
    if connection_id is not None:
        connections.require(org, connection_id)
    return connection_id


@bp.route(route=_BASE, methods=["GET", "POST"])
@operation("GET", _BASE, "List the organization's directories", auth="api_key", responses={200: DirectoryList}, errors=("not_found",))
@operation("POST", _BASE, "Create a directory for provisioning from Entra (answers its Secret Token once)", auth="api_key",
           body=DirectoryCreate, responses={201: DirectoryView}, errors=("invalid_field", "unknown_field", "invalid_json", "not_found", "invalid_request"))
@api_handler
def directories_collection(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc.id
    if req.method == "GET":
        return json_response({"items": [directories.view(d) for d in directories.list_for(org)], "next": None})
    body = read_body(req, DirectoryCreate)
    directory, token = directories.create(org, body.name.strip(), _connection(org, body.connection),
                                          body.token_expires_on or directories.token_expiry(None), body.idp_id_attribute)
    return json_response({**directories.view(directory), "token": token}, 201)


@bp.route(route=_ONE, methods=["GET", "PATCH", "DELETE"])
@operation("GET", _ONE, "Read a directory", auth="api_key", responses={200: DirectoryView}, errors=("not_found",))
@operation("PATCH", _ONE, "Change a directory's name, connection or object-id attribute", auth="api_key", body=DirectoryPatch,
           responses={200: DirectoryView}, errors=("invalid_field", "unknown_field", "invalid_json", "not_found", "conflict"))
@operation("DELETE", _ONE, "Delete a directory and everything it holds", auth="api_key", responses={204: None}, errors=("not_found",))
@api_handler
def directory_item(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc.id
    stored = directories.require(org, req.route_params["directory"])
    if req.method == "GET":
        return json_response(directories.view(stored.doc))
    if req.method == "DELETE":
        directories.delete(stored.doc.id, org)
        events.record(org, "directory.deleted", detail={"directory": stored.doc.id})
        return func.HttpResponse(status_code=204)
    body = read_body(req, DirectoryPatch)
    changes = body.given()
    if "connection" in changes:
        _connection(org, changes["connection"])
    if "name" in changes and changes["name"] is None:
        raise SsoError("invalid_field", "`name` cannot be removed; send a new name.")
    directory = stored.doc.replace(**changes)
    directories.save(directory, stored.etag)
    events.record(org, "directory.updated", detail={"directory": directory.id, "fields": sorted(changes)})
    return json_response(directories.view(directory))


@bp.route(route=_ONE + "/token", methods=["POST"])
@operation("POST", _ONE + "/token", "Issue a new Secret Token (the old one stops at once, or after grace_period_hours)", auth="api_key",
           body=DirectoryTokenRequest, responses={200: TokenView}, errors=("invalid_field", "unknown_field", "invalid_json", "not_found", "conflict"))
@api_handler
def directory_token(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc.id
    stored = directories.require(org, req.route_params["directory"])
    body = read_body(req, DirectoryTokenRequest, optional=True)
    directory, token = directories.rotate(stored, body.token_expires_on or directories.token_expiry(None), body.grace_period_hours)
    return json_response({"token": token, "token_expires_on": directory.token_expires_on, "previous_token_valid_until": directory.previous_token_valid_until})


@bp.route(route=_ONE + "/users", methods=["GET"])
@operation("GET", _ONE + "/users", "List the directory's users (cursor; ?group= for one group's members)", auth="api_key",
           responses={200: Page}, errors=("not_found", "invalid_request"))
@api_handler
def directory_users(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc.id
    directory = directories.require(org, req.route_params["directory"]).doc
    data, cursor = views.list_users(directory, query_param(req, "cursor", 4096), page_limit(req), query_param(req, "group", 64))
    return json_response({"items": data, "next": cursor})


@bp.route(route=_ONE + "/users/{id}", methods=["GET", "PATCH"])
@operation("GET", _ONE + "/users/{id}", "Read a directory user", auth="api_key", responses={200: DirectoryUserView}, errors=("not_found",))
@operation("PATCH", _ONE + "/users/{id}", "Require SSO for this user (sso_required)", auth="api_key", body=UserPatch,
           responses={200: DirectoryUserView}, errors=("invalid_field", "unknown_field", "invalid_json", "not_found"))
@api_handler
def directory_user(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc.id
    directory = directories.require(org, req.route_params["directory"]).doc
    user_id = req.route_params["id"]
    if req.method == "GET":
        stored = users.get(directory.id, user_id)
        if stored is None:
            raise SsoError("not_found", f"No user {user_id[:64]!r} in directory {directory.id!r}.")
        return json_response(views.user_view(directory, stored.doc))
    body = read_body(req, UserPatch)
    user = users.set_sso_required(directory, user_id, body.sso_required)
    events.record(org, "directory.user_sso_required", detail={"directory": directory.id, "user": user_id, "sso_required": body.sso_required})
    return json_response(views.user_view(directory, user))


@bp.route(route=_ONE + "/groups", methods=["GET"])
@operation("GET", _ONE + "/groups", "List the directory's groups (cursor)", auth="api_key", responses={200: Page}, errors=("not_found", "invalid_request"))
@api_handler
def directory_groups(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc.id
    directory = directories.require(org, req.route_params["directory"]).doc
    data, cursor = views.list_groups(directory, query_param(req, "cursor", 4096), page_limit(req))
    return json_response({"items": data, "next": cursor})


@bp.route(route=_ONE + "/events", methods=["GET"])
@operation("GET", _ONE + "/events", "The directory's event feed, oldest first, after a cursor", auth="api_key",
           responses={200: EventPage}, errors=("not_found", "invalid_request"))
@api_handler
def directory_events(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc.id
    directory = directories.require(org, req.route_params["directory"]).doc
    found, after = feed.list_after(directory.id, query_param(req, "after", 64), page_limit(req))
    return json_response({"items": [e.public() for e in found], "next": after})
