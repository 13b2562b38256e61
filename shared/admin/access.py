"""What an admin route names, once the caller's API key may see it: another org's resources look
absent (404), as if they did not exist."""
from __future__ import annotations

import azure.functions as func

from shared.orgs import connections, organizations
from shared.orgs.api_keys import authenticate
from shared.orgs.records import Connection, Organization
from shared.platform.observability import set_request_organization
from shared.storage import tables


def organization(req: func.HttpRequest) -> tables.Stored[Organization]:
    """The org of route parameter `{org}`."""
    slug = req.route_params["org"]
    authenticate(req).require_organization(slug)
    stored = organizations.require(slug)
    set_request_organization(slug)
    return stored


def connection(req: func.HttpRequest) -> tables.Stored[Connection]:
    """The connection of route parameters `{org}` and `{connection}`."""
    slug = req.route_params["org"]
    authenticate(req).require_organization(slug)
    stored = connections.require(slug, req.route_params["connection"])
    set_request_organization(slug)
    return stored
