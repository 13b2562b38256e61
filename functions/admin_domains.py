"""Admin API: an organization's domain claims and their DNS TXT verification."""
from __future__ import annotations

import azure.functions as func

from shared.admin import access as admin_access
from shared.admin.bodies import ListQuery
from shared.admin.views import DomainClaimList, DomainClaimView
from shared.policy import domains
from shared.policy.bodies import DomainClaimRequest
from shared.web.http import api_handler, json_response, no_content, page_limit, read_body
from shared.web.operations import Link, operation

bp = func.Blueprint()
TAGS = ("Domains",)
_LIST = "api/organizations/{org}/domains"
_ONE = _LIST + "/{domain}"
_THIS = {"org": "$request.path.org", "domain": "$response.body#/domain"}
_AFTER_CLAIM = tuple(Link(status, target, _THIS) for status in (200, 201) for target in ("getDomain", "verifyDomain", "deleteDomain"))


@bp.route(route="api/organizations/{org}/domains", methods=["GET", "POST"])
@operation("GET", _LIST, "List an organization's domain claims", auth="api_key", query=ListQuery,
           responses={200: DomainClaimList, 307: None}, errors=("not_found", "invalid_request"), operation_id="listDomains", tags=TAGS)
@operation("POST", _LIST, "Claim a domain", auth="api_key", body=DomainClaimRequest,
           responses={201: DomainClaimView, 200: DomainClaimView, 307: None}, errors=("not_found", "consumer_domain", "conflict"),
           operation_id="claimDomain", tags=TAGS, links=_AFTER_CLAIM,
           description="Answers the TXT record to publish; claiming again answers the same claim (200).")
@api_handler
def organization_domains(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc
    if req.method == "GET":
        items, cursor = domains.list_claims(org, req.params.get("cursor"), page_limit(req))
        return json_response({"items": items, "next": cursor})
    view, created = domains.claim(org, read_body(req, DomainClaimRequest).given())
    return json_response(view, 201 if created else 200)


@bp.route(route="api/organizations/{org}/domains/{domain}", methods=["GET", "DELETE"])
@operation("GET", _ONE, "Read a domain claim", auth="api_key", responses={200: DomainClaimView, 307: None}, errors=("not_found",),
           operation_id="getDomain", tags=TAGS)
@operation("DELETE", _ONE, "Delete a domain claim (and take the domain off every connection)", auth="api_key",
           responses={204: None, 307: None}, errors=("not_found", "conflict"), operation_id="deleteDomain", tags=TAGS)
@api_handler
def organization_domain(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc
    domain = domains.path_domain(req.route_params["domain"])
    if req.method == "DELETE":
        domains.remove(org, domain)
        return no_content()
    return json_response(domains.public_view(domains.require_claim(org, domain).doc))


@bp.route(route="api/organizations/{org}/domains/{domain}/verify", methods=["POST"])
@operation("POST", _ONE + "/verify", "Verify a domain by its DNS TXT record", auth="api_key", responses={200: DomainClaimView, 307: None},
           errors=("not_found", "domain_not_verified", "domain_taken", "consumer_domain", "dns_unavailable", "conflict"),
           operation_id="verifyDomain", tags=TAGS)
@api_handler
def verify_domain(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc
    return json_response(domains.verify(org, domains.path_domain(req.route_params["domain"])))
