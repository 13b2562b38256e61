"""Admin API: an organization's domain claims and their DNS TXT verification."""
from __future__ import annotations

import azure.functions as func

from shared import domains, organizations
from shared.api_keys import authenticate
from shared.errors import SsoError
from shared.http import api_handler, json_response, read_json

bp = func.Blueprint()


def _organization(req: func.HttpRequest) -> dict:
    slug = req.route_params["org"]
    authenticate(req).require_organization(slug)
    return organizations.require(slug).doc


def _limit(req: func.HttpRequest) -> int:
    try:
        return int(req.params.get("limit", "50"))
    except ValueError:
        raise SsoError("invalid_request", "`limit` must be a whole number from 1 to 100.") from None


@bp.route(route="api/organizations/{org}/domains", methods=["GET", "POST"])
@api_handler
def organization_domains(req: func.HttpRequest) -> func.HttpResponse:
    org = _organization(req)
    if req.method == "GET":
        items, cursor = domains.list_claims(org, req.params.get("cursor"), _limit(req))
        return json_response({"items": items, "next": cursor})
    view, created = domains.claim(org, read_json(req, {"domain"}))
    return json_response(view, 201 if created else 200)


@bp.route(route="api/organizations/{org}/domains/{domain}", methods=["GET", "DELETE"])
@api_handler
def organization_domain(req: func.HttpRequest) -> func.HttpResponse:
    org = _organization(req)
    domain = domains.path_domain(req.route_params["domain"])
    if req.method == "DELETE":
        domains.remove(org, domain)
        return func.HttpResponse(status_code=204)
    return json_response(domains.public_view(domains.require_claim(org, domain).doc))


@bp.route(route="api/organizations/{org}/domains/{domain}/verify", methods=["POST"])
@api_handler
def verify_domain(req: func.HttpRequest) -> func.HttpResponse:
    org = _organization(req)
    return json_response(domains.verify(org, domains.path_domain(req.route_params["domain"])))
