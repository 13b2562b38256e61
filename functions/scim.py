"""SCIM 2.0 (RFC 7644) at each directory's Tenant URL, for Entra's provisioning service:
/Users, /Groups, /ServiceProviderConfig, /Schemas, /ResourceTypes. Logic: shared/directory/service.py."""
from __future__ import annotations

import azure.functions as func

from shared.lifecycle import directory_webhooks
from shared.web.operations import operation
from shared.web.scim_http import MEDIA_TYPE, directory, directory_and_row, for_write, read_body, scim_handler, scim_response

bp = func.Blueprint()


class _Service:
    """shared/directory/service.py, imported on first use: it loads the SCIM stack (scim2-models),
    which would otherwise cost every cold start, SCIM or not."""

    def __getattr__(self, name: str):
        from shared.directory import service  # on first use: the SCIM stack stays off the cold start

        return getattr(service, name)


service = _Service()


def _user():
    from shared.directory.scim.resources import USER_MODEL  # on first use (the OpenAPI document): scim2-models

    return USER_MODEL


def _group():
    from scim2_models import Group  # on first use (the OpenAPI document)

    return Group


def _user_patch():
    from scim2_models import PatchOp  # on first use (the OpenAPI document)

    return PatchOp[_user()]


def _group_patch():
    from scim2_models import PatchOp  # on first use (the OpenAPI document)

    return PatchOp[_group()]

_BASE = "scim/v2/{directory}"
_MEDIA = (MEDIA_TYPE, "application/json")
_ERRORS = ("invalid_request", "unauthorized", "not_found", "conflict", "storage_unavailable")


def _answer(req: func.HttpRequest, found, answer: service.Answer) -> func.HttpResponse:
    directory_webhooks.notify(found, answer.events)
    return scim_response(answer.body, answer.status, answer.etag, answer.location)


def _collection(req: func.HttpRequest, endpoint: str) -> func.HttpResponse:
    if req.method == "GET":
        params = dict(req.params)
        index_key = service.index_row_of(endpoint, params)
        if index_key is None:
            found, index_row = directory(req), service.NOT_READ
        else:  # one round trip for the directory and the filter's index row (Entra's lookups)
            found, index_row = directory_and_row(req, index_key)
        return _answer(req, found, service.list_resources(found, endpoint, params, index_row))
    found, answer = for_write(req, lambda found: service.create(found, endpoint, read_body(req)))  # the body is read once authenticated
    return _answer(req, found, answer)


def _item(req: func.HttpRequest, endpoint: str) -> func.HttpResponse:
    found = directory(req)
    resource_id, if_match = req.route_params.get("id", ""), req.headers.get("if-match")
    if req.method == "GET":
        answer = service.get_resource(found, endpoint, resource_id, dict(req.params))
    elif req.method == "PUT":
        answer = service.replace(found, endpoint, resource_id, read_body(req), if_match)
    elif req.method == "PATCH":
        answer = service.patch(found, endpoint, resource_id, read_body(req), if_match, dict(req.params))
    else:
        answer = service.delete(found, endpoint, resource_id, if_match)
    return _answer(req, found, answer)


@bp.route(route=_BASE + "/Users", methods=["GET", "POST"])
@operation("GET", _BASE + "/Users", "List or filter the directory's users (SCIM)", auth="scim_token", responses={200: MEDIA_TYPE}, errors=_ERRORS)
@operation("POST", _BASE + "/Users", "Create a user (SCIM)", auth="scim_token", body=_user, body_media_types=_MEDIA,
           responses={201: MEDIA_TYPE}, errors=_ERRORS)
@scim_handler
def scim_users(req: func.HttpRequest) -> func.HttpResponse:
    return _collection(req, "Users")


@bp.route(route=_BASE + "/Users/{id}", methods=["GET", "PUT", "PATCH", "DELETE"])
@operation("GET", _BASE + "/Users/{id}", "Read a user (SCIM)", auth="scim_token", responses={200: MEDIA_TYPE}, errors=_ERRORS)
@operation("PUT", _BASE + "/Users/{id}", "Replace a user (SCIM)", auth="scim_token", body=_user, body_media_types=_MEDIA,
           responses={200: MEDIA_TYPE}, errors=_ERRORS)
@operation("PATCH", _BASE + "/Users/{id}", "Patch a user (SCIM)", auth="scim_token", body=_user_patch, body_media_types=_MEDIA,
           responses={200: MEDIA_TYPE}, errors=_ERRORS)
@operation("DELETE", _BASE + "/Users/{id}", "Delete a user (SCIM)", auth="scim_token", responses={204: None}, errors=_ERRORS)
@scim_handler
def scim_user(req: func.HttpRequest) -> func.HttpResponse:
    return _item(req, "Users")


@bp.route(route=_BASE + "/Groups", methods=["GET", "POST"])
@operation("GET", _BASE + "/Groups", "List or filter the directory's groups (SCIM)", auth="scim_token", responses={200: MEDIA_TYPE}, errors=_ERRORS)
@operation("POST", _BASE + "/Groups", "Create a group (SCIM)", auth="scim_token", body=_group, body_media_types=_MEDIA,
           responses={201: MEDIA_TYPE}, errors=_ERRORS)
@scim_handler
def scim_groups(req: func.HttpRequest) -> func.HttpResponse:
    return _collection(req, "Groups")


@bp.route(route=_BASE + "/Groups/{id}", methods=["GET", "PUT", "PATCH", "DELETE"])
@operation("GET", _BASE + "/Groups/{id}", "Read a group (SCIM)", auth="scim_token", responses={200: MEDIA_TYPE}, errors=_ERRORS)
@operation("PUT", _BASE + "/Groups/{id}", "Replace a group (SCIM)", auth="scim_token", body=_group, body_media_types=_MEDIA,
           responses={200: MEDIA_TYPE}, errors=_ERRORS)
@operation("PATCH", _BASE + "/Groups/{id}", "Patch a group (SCIM): 204 with the new ETag, or 200 with the group when `attributes` or "
           "`excludedAttributes` is given", auth="scim_token", body=_group_patch, body_media_types=_MEDIA,
           responses={200: MEDIA_TYPE, 204: None}, errors=_ERRORS)
@operation("DELETE", _BASE + "/Groups/{id}", "Delete a group (SCIM)", auth="scim_token", responses={204: None}, errors=_ERRORS)
@scim_handler
def scim_group(req: func.HttpRequest) -> func.HttpResponse:
    return _item(req, "Groups")


@bp.route(route=_BASE + "/ServiceProviderConfig", methods=["GET"])
@operation("GET", _BASE + "/ServiceProviderConfig", "What this SCIM service supports", auth="scim_token", responses={200: MEDIA_TYPE},
           errors=("unauthorized", "storage_unavailable"))
@scim_handler
def scim_service_provider_config(req: func.HttpRequest) -> func.HttpResponse:
    return _answer(req, found := directory(req), service.discovery_answer(found, "ServiceProviderConfig", None))


@bp.route(route=_BASE + "/Schemas", methods=["GET"])
@operation("GET", _BASE + "/Schemas", "The SCIM schemas served (core User, enterprise User, Group)", auth="scim_token",
           responses={200: MEDIA_TYPE}, errors=("unauthorized", "storage_unavailable"))
@scim_handler
def scim_schemas(req: func.HttpRequest) -> func.HttpResponse:
    return _answer(req, found := directory(req), service.discovery_answer(found, "Schemas", None))


@bp.route(route=_BASE + "/Schemas/{id}", methods=["GET"])
@operation("GET", _BASE + "/Schemas/{id}", "One SCIM schema", auth="scim_token", responses={200: MEDIA_TYPE},
           errors=("unauthorized", "not_found", "storage_unavailable"))
@scim_handler
def scim_schema(req: func.HttpRequest) -> func.HttpResponse:
    return _answer(req, found := directory(req), service.discovery_answer(found, "Schemas", req.route_params.get("id")))


@bp.route(route=_BASE + "/ResourceTypes", methods=["GET"])
@operation("GET", _BASE + "/ResourceTypes", "The SCIM resource types served (User, Group)", auth="scim_token",
           responses={200: MEDIA_TYPE}, errors=("unauthorized", "storage_unavailable"))
@scim_handler
def scim_resource_types(req: func.HttpRequest) -> func.HttpResponse:
    return _answer(req, found := directory(req), service.discovery_answer(found, "ResourceTypes", None))


@bp.route(route=_BASE + "/ResourceTypes/{id}", methods=["GET"])
@operation("GET", _BASE + "/ResourceTypes/{id}", "One SCIM resource type", auth="scim_token", responses={200: MEDIA_TYPE},
           errors=("unauthorized", "not_found", "storage_unavailable"))
@scim_handler
def scim_resource_type(req: func.HttpRequest) -> func.HttpResponse:
    return _answer(req, found := directory(req), service.discovery_answer(found, "ResourceTypes", req.route_params.get("id")))


@bp.route(route=_BASE + "/{resource}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@operation("POST", _BASE + "/{resource}", "POST /.search across resource types: not supported (501); any other path: 404",
           auth="scim_token", body=None, body_media_types=_MEDIA, responses={501: MEDIA_TYPE, 404: MEDIA_TYPE}, errors=("unauthorized", "not_found"))
@operation("GET", _BASE + "/{resource}", "No such SCIM endpoint: 404 in SCIM's error shape", auth="scim_token",
           responses={404: MEDIA_TYPE}, errors=("unauthorized", "not_found"))
@operation("PUT", _BASE + "/{resource}", "No such SCIM endpoint: 404 in SCIM's error shape", auth="scim_token",
           body=None, body_media_types=_MEDIA, responses={404: MEDIA_TYPE}, errors=("unauthorized", "not_found"))
@operation("PATCH", _BASE + "/{resource}", "No such SCIM endpoint: 404 in SCIM's error shape", auth="scim_token",
           body=None, body_media_types=_MEDIA, responses={404: MEDIA_TYPE}, errors=("unauthorized", "not_found"))
@operation("DELETE", _BASE + "/{resource}", "No such SCIM endpoint: 404 in SCIM's error shape", auth="scim_token",
           body=None, body_media_types=_MEDIA, responses={404: MEDIA_TYPE}, errors=("unauthorized", "not_found"))
@scim_handler
def scim_unknown(req: func.HttpRequest) -> func.HttpResponse:
    """Registered last: the dev host matches in order, and Azure prefers literal segments."""
    directory(req)
    service.unknown_endpoint(req.method, req.route_params.get("resource", ""))
