"""Admin API: an organization's domain claims and their DNS TXT verification."""
from __future__ import annotations

import azure.functions as func

from shared.admin import access as admin_access
from shared.policy import domains
from shared.policy.bodies import DomainClaimRequest
from shared.web.http import api_handler, json_response, page_limit, read_body

bp = func.Blueprint()


@bp.route(route="api/organizations/{org}/domains", methods=["GET", "POST"])
@api_handler
def organization_domains(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc
    if req.method == "GET":
        items, cursor = domains.list_claims(org, req.params.get("cursor"), page_limit(req))
        return json_response({"items": items, "next": cursor})
    view, created = domains.claim(org, read_body(req, DomainClaimRequest).given())
    return json_response(view, 201 if created else 200)


@bp.route(route="api/organizations/{org}/domains/{domain}", methods=["GET", "DELETE"])
@api_handler
def organization_domain(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc
    domain = domains.path_domain(req.route_params["domain"])
    if req.method == "DELETE":
        domains.remove(org, domain)
        return func.HttpResponse(status_code=204)
    return json_response(domains.public_view(domains.require_claim(org, domain).doc))


@bp.route(route="api/organizations/{org}/domains/{domain}/verify", methods=["POST"])
@api_handler
def verify_domain(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc
    return json_response(domains.verify(org, domains.path_domain(req.route_params["domain"])))
