"""Admin API: Sign in with Microsoft for any account, a stamp-level setting (global key only)."""
from __future__ import annotations

from typing import Literal

import azure.functions as func
from pydantic import BaseModel, ConfigDict

from shared.orgs.api_keys import authenticate
from shared.platform.errors import SsoError
from shared.shared_app import sign_in_settings
from shared.web.http import api_handler, json_response, read_json
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
    saved = sign_in_settings.save(read_json(req, sign_in_settings.FIELDS))
    return json_response(saved.model_dump(mode="json"))
