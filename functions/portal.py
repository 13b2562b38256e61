"""The setup portal for a customer's IT admin: the portal-link API, and the pages under /portal/
(server-rendered, shared/portal/). A page acts only on the org of its session (shared/portal/guard.py)."""
from __future__ import annotations

import azure.functions as func

from shared.admin import access as admin_access
from shared.portal import forms, links, pages, views
from shared.portal.guard import portal_page, refuse_cross_site, refusing
from shared.web.http import api_handler, browser_handler, json_response, read_json
from shared.web.operations import operation

bp = func.Blueprint()

HTML = {200: "text/html", 400: "text/html", 401: "text/html", 403: "text/html"}
SEE_OTHER = {303: None, **HTML}
SESSION_ERRORS = ("portal_session_invalid", "portal_wrong_intent", "portal_form_refused")
FORM = ("application/x-www-form-urlencoded",)


@bp.route(route="api/organizations/{org}/portal-links", methods=["POST"])
@operation("POST", "api/organizations/{org}/portal-links", "Hand out a one-time setup-portal link", auth="api_key",
           body=forms.PortalLinkRequest, responses={201: forms.PortalLinkAnswer},
           errors=("unauthorized", "not_found", "invalid_field", "unknown_field", "invalid_json"))
@api_handler
def portal_links(req: func.HttpRequest) -> func.HttpResponse:
    org = admin_access.organization(req).doc
    request = forms.parse(forms.PortalLinkRequest, read_json(req, forms.PortalLinkRequest.model_fields.keys()))
    return json_response(links.issue(org, request).model_dump(), 201)


@bp.route(route="portal/open/{token}", methods=["GET", "POST"])
@operation("GET", "portal/open/{token}", "The page a portal link opens on", auth="anonymous", responses=HTML,
           errors=("portal_link_invalid", "portal_link_used", "portal_link_expired"))
@operation("POST", "portal/open/{token}", "Open the link once: starts the portal session (cookie)", auth="anonymous",
           responses=SEE_OTHER, errors=("portal_link_invalid", "portal_link_used", "portal_link_expired", "portal_form_refused"))
@browser_handler
@refusing
def open_link(req: func.HttpRequest) -> func.HttpResponse:
    token = req.route_params["token"]
    if req.method == "GET":
        return views.open_page(token)
    refuse_cross_site(req)
    return views.open_session(token)


@bp.route(route="portal", methods=["GET"])
@operation("GET", "portal", "The session's first page", auth="portal_session", responses=SEE_OTHER, errors=SESSION_ERRORS)
@browser_handler
@portal_page("any")
def portal_home(req: func.HttpRequest, visit) -> func.HttpResponse:
    return views.home(visit)


@bp.route(route="portal/sso", methods=["GET"])
@operation("GET", "portal/sso", "SSO: the org's connections, test sign-in", auth="portal_session", responses=HTML, errors=SESSION_ERRORS)
@browser_handler
@portal_page("sso")
def portal_sso(req: func.HttpRequest, visit) -> func.HttpResponse:
    return views.sso(visit)


@bp.route(route="portal/sso/oidc", methods=["GET", "POST"])
@operation("GET", "portal/sso/oidc", "SSO over OIDC: the steps in Entra and the form", auth="portal_session", responses=HTML, errors=SESSION_ERRORS)
@operation("POST", "portal/sso/oidc", "Check and save an OIDC connection", auth="portal_session", body=forms.OidcForm, body_media_types=FORM,
           responses=HTML, errors=(*SESSION_ERRORS, "invalid_field", "missing_field", "tenant_not_found", "invalid_client_secret",
                                   "client_secret_expired", "application_not_found", "redirect_uri_mismatch"))
@browser_handler
@portal_page("sso")
def portal_oidc(req: func.HttpRequest, visit) -> func.HttpResponse:
    return views.save_oidc(visit) if req.method == "POST" else views.oidc(visit)


@bp.route(route="portal/connections/{connection}/test", methods=["POST"])
@operation("POST", "portal/connections/{connection}/test", "Start a test sign-in (303 to Entra; ends on the diagnostic page)",
           auth="portal_session", body=forms.CsrfForm, body_media_types=FORM, responses=SEE_OTHER,
           errors=(*SESSION_ERRORS, "not_found", "connection_test_failed"))
@browser_handler
@portal_page("sso")
def portal_test(req: func.HttpRequest, visit) -> func.HttpResponse:
    forms.parse(forms.CsrfForm, visit.form)
    return views.test_sign_in(visit, req.route_params["connection"])


@bp.route(route="portal/sso/saml", methods=["GET", "POST"])
@operation("GET", "portal/sso/saml", "SSO over SAML: the org's SAML connections", auth="portal_session", responses=HTML, errors=SESSION_ERRORS)
@operation("POST", "portal/sso/saml", "Start a SAML connection (pending until Entra's metadata is given)", auth="portal_session",
           body=forms.CsrfForm, body_media_types=FORM, responses=SEE_OTHER, errors=SESSION_ERRORS)
@browser_handler
@portal_page("sso")
def portal_saml(req: func.HttpRequest, visit) -> func.HttpResponse:
    return views.start_saml(visit) if req.method == "POST" else views.saml(visit)


@bp.route(route="portal/sso/saml/{connection}", methods=["GET", "POST"])
@operation("GET", "portal/sso/saml/{connection}", "A SAML connection: the SP details for Entra, the IdP it uses", auth="portal_session",
           responses={**HTML, 404: "text/html"}, errors=(*SESSION_ERRORS, "not_found"))
@operation("POST", "portal/sso/saml/{connection}", "Give the IdP: metadata URL (fetched at once), XML (file or pasted) or certificate",
           auth="portal_session", body=forms.SamlForm, body_media_types=("multipart/form-data", *FORM), responses={**HTML, 404: "text/html"},
           errors=(*SESSION_ERRORS, "not_found", "missing_field", "invalid_field", "invalid_metadata", "metadata_unreachable",
                   "invalid_certificate", "certificate_expired"))
@browser_handler
@portal_page("sso")
def portal_saml_connection(req: func.HttpRequest, visit) -> func.HttpResponse:
    connection = req.route_params["connection"]
    return views.save_saml(visit, connection) if req.method == "POST" else views.saml_connection(visit, connection)


@bp.route(route="portal/sign-in-methods", methods=["GET", "POST"])
@operation("GET", "portal/sign-in-methods", "Password / SSO, enforcement, break-glass emails", auth="portal_session", responses=HTML,
           errors=SESSION_ERRORS)
@operation("POST", "portal/sign-in-methods", "Save the sign-in policy (a policy that locks everyone out is refused)", auth="portal_session",
           body=forms.SignInMethodsForm, body_media_types=FORM, responses=HTML, errors=(*SESSION_ERRORS, "policy_locks_out", "invalid_field"))
@browser_handler
@portal_page("sso")
def portal_sign_in_methods(req: func.HttpRequest, visit) -> func.HttpResponse:
    return views.save_sign_in_methods(visit) if req.method == "POST" else views.sign_in_methods(visit)


@bp.route(route="portal/domains", methods=["GET", "POST"])
@operation("GET", "portal/domains", "Domain claims and their TXT records", auth="portal_session", responses=HTML, errors=SESSION_ERRORS)
@operation("POST", "portal/domains", "Claim a domain", auth="portal_session", body=forms.DomainForm, body_media_types=FORM, responses=HTML,
           errors=(*SESSION_ERRORS, "invalid_field", "consumer_domain"))
@browser_handler
@portal_page("domains")
def portal_domains(req: func.HttpRequest, visit) -> func.HttpResponse:
    return views.claim_domain(visit) if req.method == "POST" else views.domain_list(visit)


@bp.route(route="portal/domains/{domain}/verify", methods=["POST"])
@operation("POST", "portal/domains/{domain}/verify", "Verify a domain by its TXT record (shows what DNS answered)", auth="portal_session",
           body=forms.CsrfForm, body_media_types=FORM, responses={**HTML, 404: "text/html", 409: "text/html", 503: "text/html"},
           errors=(*SESSION_ERRORS, "not_found", "domain_not_verified", "domain_taken", "dns_unavailable"))
@browser_handler
@portal_page("domains")
def portal_verify_domain(req: func.HttpRequest, visit) -> func.HttpResponse:
    return views.verify_domain(visit, req.route_params["domain"])


@bp.route(route="portal/credentials", methods=["GET"])
@operation("GET", "portal/credentials", "Credentials: secrets, certificates and their expiry", auth="portal_session", responses=HTML,
           errors=SESSION_ERRORS)
@browser_handler
@portal_page("credentials")
def portal_credentials(req: func.HttpRequest, visit) -> func.HttpResponse:
    return views.credentials(visit)


@bp.route(route="portal/credentials/{connection}", methods=["POST"])
@operation("POST", "portal/credentials/{connection}", "Rotate the secret (proved first), create or activate a certificate, roll back",
           auth="portal_session", body=forms.CredentialForm, body_media_types=FORM, responses={**HTML, 404: "text/html", 409: "text/html"},
           errors=(*SESSION_ERRORS, "not_found", "not_oidc_connection", "missing_field", "invalid_field", "invalid_client_secret",
                   "client_secret_expired", "client_secret_unchanged", "invalid_client_certificate", "rollback_unavailable",
                   "no_pending_certificate"))
@browser_handler
@portal_page("credentials")
def portal_change_credential(req: func.HttpRequest, visit) -> func.HttpResponse:
    return views.change_credential(visit, req.route_params["connection"])


@bp.route(route="portal/credentials/{connection}/certificate", methods=["GET"])
@operation("GET", "portal/credentials/{connection}/certificate", "The pending certificate to upload to Entra (PEM, or format=cer: DER)",
           auth="portal_session", query=forms.CertificateDownload,
           responses={200: "application/x-pem-file", 404: "text/html", 409: "text/html"},
           errors=(*SESSION_ERRORS, "not_found", "no_pending_certificate", "invalid_field", "unknown_field"))
@browser_handler
@portal_page("credentials")
def portal_pending_certificate(req: func.HttpRequest, visit) -> func.HttpResponse:
    return views.pending_certificate(visit, req.route_params["connection"], dict(req.params))


@bp.route(route="portal/directory-sync", methods=["GET", "POST"])
@operation("GET", "portal/directory-sync", "Directory sync (SCIM) setup: the Tenant URL, the steps in Entra, recent requests",
           auth="portal_session", responses=HTML, errors=SESSION_ERRORS)
@operation("POST", "portal/directory-sync", "Create a directory, or issue a new Secret Token (shown once)", auth="portal_session",
           body=forms.DirectoryForm, body_media_types=FORM, responses={**HTML, 404: "text/html"},
           errors=(*SESSION_ERRORS, "not_found", "missing_field", "invalid_field"))
@browser_handler
@portal_page("directory_sync")
def portal_directory_sync(req: func.HttpRequest, visit) -> func.HttpResponse:
    return views.change_directory_sync(visit) if req.method == "POST" else views.directory_sync(visit)


@bp.route(route="portal/static/{name}", methods=["GET"])
@operation("GET", "portal/static/{name}", "The portal's style sheet and script", auth="anonymous",
           responses={200: "text/css", 404: "text/html"}, errors=("not_found",))
@browser_handler
@refusing
def portal_static(req: func.HttpRequest) -> func.HttpResponse:
    return pages.static_file(req.route_params["name"])


@bp.route(route="portal/sso/oidc/{connection}", methods=["GET", "POST"])
@operation("GET", "portal/sso/oidc/{connection}", "OIDC with a certificate first: download it, upload it in Entra, activate",
           auth="portal_session", responses={**HTML, 404: "text/html"}, errors=(*SESSION_ERRORS, "not_found"))
@operation("POST", "portal/sso/oidc/{connection}", "Activate the certificate (the live checks; nothing changes on a failure), or make a new one",
           auth="portal_session", body=forms.OidcCertificateForm, body_media_types=FORM, responses={**HTML, 404: "text/html", 409: "text/html"},
           errors=(*SESSION_ERRORS, "not_found", "invalid_field", "tenant_not_found", "application_not_found", "redirect_uri_mismatch",
                   "invalid_client_certificate", "no_pending_certificate"))
@browser_handler
@portal_page("sso")
def portal_oidc_certificate(req: func.HttpRequest, visit) -> func.HttpResponse:
    connection = req.route_params["connection"]
    return views.save_oidc_certificate(visit, connection) if req.method == "POST" else views.oidc_certificate(visit, connection)


@bp.route(route="portal/sso/one-click", methods=["POST"])
@operation("POST", "portal/sso/one-click", "Start a one-click connection (the stamp's shared app): 303 to its state page with the admin consent URL",
           auth="portal_session", body=forms.OneClickForm, body_media_types=FORM, responses={**SEE_OTHER, 404: "text/html", 409: "text/html"},
           errors=(*SESSION_ERRORS, "not_found", "shared_app_not_configured", "consent_already_bound"))
@browser_handler
@portal_page("sso")
def portal_one_click(req: func.HttpRequest, visit) -> func.HttpResponse:
    return views.start_one_click(visit)


@bp.route(route="portal/sso/one-click/{connection}", methods=["GET"])
@operation("GET", "portal/sso/one-click/{connection}", "A one-click connection's state: waiting for the consent (its URL), connected, or refused with the fix",
           auth="portal_session", responses={**HTML, 404: "text/html"}, errors=(*SESSION_ERRORS, "not_found"))
@browser_handler
@portal_page("sso")
def portal_one_click_state(req: func.HttpRequest, visit) -> func.HttpResponse:
    return views.one_click(visit, req.route_params["connection"])
