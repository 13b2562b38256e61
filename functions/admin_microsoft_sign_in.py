"""Admin API: Sign in with Microsoft for any account, a stamp-level setting (global key only)."""

from typing import Literal

import azure.functions as func
from pydantic import BaseModel, ConfigDict

from shared.admin import microsoft_sign_in_admin
from shared.admin.bodies import ListQuery
from shared.admin.views import EventList
from shared.orgs.api_keys import authenticate
from shared.platform.errors import SsoError
from shared.shared_app import sign_in_settings
from shared.web.http import api_handler, json_response, page_limit, read_json
from shared.web.operations import operation

bp = func.Blueprint()
ROUTE = "api/microsoft-sign-in"


class MicrosoftSignInBody(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    enabled: bool
    tenant_type: Literal["common", "organizations", "consumers"] | str  # or one Directory (tenant) ID
    redirect_uris: list[str]


class MicrosoftSignInView(MicrosoftSignInBody):
    model_config = ConfigDict(extra="forbid")
    updated: str | None = None


@bp.route(route=ROUTE, methods=["GET", "PUT"])
@operation("GET", ROUTE, "Read the Sign in with Microsoft setting", auth="global_key", responses={200: MicrosoftSignInView},
           errors=("unauthorized", "forbidden", "storage_unavailable"))
@operation("PUT", ROUTE, "Set Sign in with Microsoft for any account", auth="global_key", body=MicrosoftSignInBody,
           responses={200: MicrosoftSignInView}, errors=("unauthorized", "forbidden", "unknown_field", "missing_field", "invalid_field",
                                                         "invalid_json", "storage_unavailable"),
           description="Sign-ins start at GET /auth/sso/start?provider=microsoft&redirect_uri=..&state=..; their codes are "
                       "exchanged with the global key and their profile has organization null.")
@api_handler
def microsoft_sign_in(req: func.HttpRequest) -> func.HttpResponse:
    if authenticate(req).organization is not None:
        raise SsoError("forbidden")
    if req.method == "GET":
        return json_response(sign_in_settings.current().model_dump(mode="json"))
    saved = microsoft_sign_in_admin.save(read_json(req, sign_in_settings.FIELDS))
    return json_response(saved.model_dump(mode="json"))


@bp.route(route=ROUTE + "/events", methods=["GET"])
@operation("GET", ROUTE + "/events", "List the events of Sign in with Microsoft (newest first)", auth="global_key", query=ListQuery,
           responses={200: EventList}, errors=("unauthorized", "forbidden", "invalid_request", "storage_unavailable"),
           description="Its sign-ins belong to no organization, so their events are here: `sign_in` ok or failed (with `error` "
                       "and the reason), redirected to an organization that enforces SSO, `groups_overage_unavailable`, and every "
                       "change of the setting (`microsoft_sign_in.updated`). A cursor list like an organization's events.")
@api_handler
def microsoft_sign_in_events(req: func.HttpRequest) -> func.HttpResponse:
    if authenticate(req).organization is not None:
        raise SsoError("forbidden")
    items, cursor = microsoft_sign_in_admin.list_events(req.params.get("cursor"), page_limit(req))
    return json_response({"items": [event.public() for event in items], "next": cursor})
