"""The portal's pages, each a function of the request's Visit (guard.py): what it shows, and for
a form what it changes, through the same shared/admin, shared/policy and shared/lifecycle
functions the admin API's routes call. Every org comes from the session, never from the URL."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import azure.functions as func

from shared.admin import connection_admin, connection_test, organization_admin
from shared.directory import directories
from shared.lifecycle import certificate_credentials, credential_rotation
from shared.orgs import connections, events, organizations
from shared.orgs.connection_status import awaits_certificate, public_view
from shared.platform.certificates import certificate_der
from shared.platform.errors import SsoError
from shared.platform.observability import set_request_actor
from shared.platform.settings import get_settings
from shared.platform.timestamps import iso, utc_now
from shared.policy import domains
from shared.portal import forms, oidc_setup, one_click_state, pages, saml_setup, sessions
from shared.portal.guard import ACTOR, Visit
from shared.signin import consent
from shared.storage import activity, tables

HOME = {"sso": "/portal/sso", "credentials": "/portal/credentials", "domain_verification": "/portal/domains",
        "directory_sync": "/portal/directory-sync"}
TASKS = {"sso": "single sign-on", "credentials": "sign-in credentials", "domain_verification": "domain verification",
         "directory_sync": "directory sync"}
NAV = {
    "sso": [("/portal/sso", "Connections"), ("/portal/sso/oidc", "OIDC setup"), ("/portal/sso/saml", "SAML setup"),
            ("/portal/sign-in-methods", "Sign-in methods"), ("/portal/credentials", "Credentials")],
    "credentials": [("/portal/credentials", "Credentials")],
    "domain_verification": [("/portal/domains", "Domains")],
    "directory_sync": [("/portal/directory-sync", "Directory sync")],
}


def page(visit: Visit, template: str, title: str, current: str, status: int = 200, **context) -> func.HttpResponse:
    org = organizations.require(visit.organization).doc
    return_url = visit.session.return_url
    nav = [{"href": href, "label": label, "current": href == current} for href, label in NAV[visit.session.intent]]
    return pages.render(template, status, title=title, org_name=org.name, nav=nav, return_url=return_url,
                        app_name=urlsplit(return_url).hostname if return_url else "", csrf_token=visit.session.csrf_token, **context)


# Opening a link ---------------------------------------------------------------------------

def open_page(token: str) -> func.HttpResponse:
    """The page a link opens on: a button that starts the session, so a link previewer that
    fetches the URL does not use it up."""
    link = sessions.peek_link(token)
    return pages.render("open.html", token=token, task=TASKS[link.intent])


def open_session(token: str) -> func.HttpResponse:
    set_request_actor(ACTOR)
    cookie, session = sessions.open_link(token)
    max_age = int(sessions.SESSION_LIFETIME.total_seconds())
    return pages.see_other(HOME[session.intent], {"Set-Cookie": pages.session_cookie(cookie, max_age)})


def home(visit: Visit) -> func.HttpResponse:
    return pages.see_other(HOME[visit.session.intent])


# SSO: connections, OIDC, test sign-in ---------------------------------------------------------

def _connection(visit: Visit, connection_id: str):
    """One of the session's org's connections; another org's id is as absent as an unknown one."""
    return connections.require(visit.organization, connection_id)


def sso(visit: Visit, message: str = "", test_checks: list | None = None, status: int = 200) -> func.HttpResponse:
    views = [public_view(doc) for doc in connections.list_for(visit.organization)]
    return page(visit, "sso.html", "Single sign-on", "/portal/sso", status, connections=views, message=message, test_checks=test_checks or [],
                one_click=get_settings().shared_app is not None)


# SSO: one click (the stamp's shared app, admin consent) -------------------------------------------

def start_one_click(visit: Visit) -> func.HttpResponse:
    """A pending one-click connection (the admin API's own create), then its state page, which
    hands out the admin consent URL. "Start again" replaces a refused one: the pending
    connection it names is deleted first (its consent link is used up)."""
    form = forms.parse(forms.OneClickForm, visit.form)
    if form.replace:
        stale = _one_click_connection(visit, form.replace)
        if not consent.is_pending(stale.doc):
            raise SsoError("consent_already_bound", "This connection is already connected; nothing was replaced.")
        # One replacement per refused connection: whoever makes its claim row in the org's
        # activity partition does it (a lost race is 409 conflict). A delete answers success even
        # when another one deleted it, and an etag-conditional write lets through a racer that
        # read after it. The row goes with the portal's expired rows (purge.py), long after the
        # connection it names.
        expires = utc_now() + timedelta(days=1)
        try:
            activity.insert(visit.organization, f"portal_replaced_{stale.doc.id}", {"kind": "one-click-replaced", "expires_at": iso(expires)},
                            indexed={"expires_at": expires})
        except tables.AlreadyExists:
            raise SsoError("conflict", "This connection is already being replaced; reload the page.") from None
        connection_admin.delete(connections.save(stale.doc.replace(enabled=False), stale.etag))
    view, _ = connection_admin.create(visit.organization, {"protocol": "oidc", "app": "shared"})
    return pages.see_other(f"/portal/sso/one-click/{view['id']}")


def _one_click_connection(visit: Visit, connection_id: str):
    stored = _connection(visit, connection_id)
    if stored.doc.app != "shared":
        raise SsoError("not_found", "No such one-click connection.")
    return stored


def one_click(visit: Visit, connection_id: str) -> func.HttpResponse:
    stored = _one_click_connection(visit, connection_id)
    state = one_click_state.of(stored.doc)
    return page(visit, "one_click.html", "Connect with one click", "/portal/sso", connection=public_view(stored.doc), state=state)


def oidc(visit: Visit) -> func.HttpResponse:
    return _oidc_page(visit, None, {name: "" for name in oidc_setup.FORM_FIELDS})


def _oidc_page(visit: Visit, outcome, values: dict, status: int = 200) -> func.HttpResponse:
    return page(visit, "oidc.html", "Set up OpenID Connect", "/portal/sso/oidc", status, outcome=outcome, values=values,
                redirect_uri=get_settings().oidc_redirect_uri, scopes=connections.DEFAULT_SCOPES)


def save_oidc(visit: Visit) -> func.HttpResponse:
    form = forms.parse(forms.OidcForm, visit.form)
    fields = form.model_dump(exclude={"csrf_token", "credential"})
    values = {**fields, "client_secret": ""}  # a secret given is never shown back
    if form.credential == "certificate":
        outcome = oidc_setup.start_certificate(visit.organization, fields)
        if outcome.saved:
            return pages.see_other(f"/portal/sso/oidc/{outcome.connection['id']}")
        return _oidc_page(visit, outcome, values, 400)
    outcome = oidc_setup.save(visit.organization, fields)
    return _oidc_page(visit, outcome, values, 200 if outcome.saved else 400)


def _own_oidc(visit: Visit, connection_id: str):
    stored = _connection(visit, connection_id)
    if stored.doc.protocol != "oidc" or stored.doc.app == "shared":
        raise SsoError("not_found", "No such OIDC connection of your own app registration.")
    return stored


def oidc_certificate(visit: Visit, connection_id: str, outcome=None, status: int = 200) -> func.HttpResponse:
    """A connection taking a certificate as its first credential: the certificate to download,
    where to upload it in Entra, and Activate (the live checks)."""
    stored = _own_oidc(visit, connection_id)
    return page(visit, "oidc_certificate.html", "Use a certificate", "/portal/sso/oidc", status, connection=public_view(stored.doc),
                pending=stored.doc.pending_certificate, waiting=awaits_certificate(stored.doc), outcome=outcome,
                upload_steps=oidc_setup.UPLOAD_STEPS)


def save_oidc_certificate(visit: Visit, connection_id: str) -> func.HttpResponse:
    form = forms.parse(forms.OidcCertificateForm, visit.form)
    stored = _own_oidc(visit, connection_id)
    if form.action == "new_certificate":
        if not awaits_certificate(stored.doc):
            raise SsoError("invalid_field", "This connection already has its credential: make a new certificate under Credentials.")
        certificate_credentials.create(stored, {})
        return pages.see_other(f"/portal/sso/oidc/{connection_id}")
    outcome = oidc_setup.activate_certificate(stored)
    return oidc_certificate(visit, connection_id, outcome, 200 if outcome.saved else (outcome.error.status if outcome.error else 400))


class _CheckView:
    def __init__(self, check: dict):
        self.name, self.ok, self.message, self.code = check["check"], check["ok"], check.get("message", ""), check.get("error", "")
        self.label = self.name.replace("_", " ")


def test_sign_in(visit: Visit, connection_id: str) -> func.HttpResponse:
    checks, url = connection_test.start(_connection(visit, connection_id))
    if url is None:
        return sso(visit, test_checks=[_CheckView(c) for c in checks], status=400)
    return pages.see_other(url)


# SSO: SAML -----------------------------------------------------------------------------------

def saml(visit: Visit) -> func.HttpResponse:
    views = [public_view(doc) for doc in connections.list_for(visit.organization) if doc.protocol == "saml"]
    return page(visit, "saml_start.html", "Set up SAML", "/portal/sso/saml", connections=views)


def start_saml(visit: Visit) -> func.HttpResponse:
    forms.parse(forms.CsrfForm, visit.form)
    view, _ = connection_admin.create(visit.organization, {"protocol": "saml", "display_name": "Microsoft Entra ID (SAML)"})
    return pages.see_other(f"/portal/sso/saml/{view['id']}")


def saml_connection(visit: Visit, connection_id: str, error: SsoError | None = None, message: str = "",
                    status: int = 200) -> func.HttpResponse:
    stored = _connection(visit, connection_id)
    if stored.doc.protocol != "saml":
        raise SsoError("not_found", "No such SAML connection.")
    return page(visit, "saml.html", "Set up SAML", "/portal/sso/saml", status, connection=public_view(stored.doc), error=error, message=message)


def save_saml(visit: Visit, connection_id: str) -> func.HttpResponse:
    form = forms.parse(forms.SamlForm, visit.form)
    stored = _connection(visit, connection_id)
    if stored.doc.protocol != "saml":
        raise SsoError("not_found", "No such SAML connection.")
    try:
        connection_admin.update(stored, saml_setup.body(form), None)  # nothing is saved unless the IdP source is usable
    except SsoError as err:
        if err.status >= 500 and err.code != "metadata_unreachable":
            raise
        return saml_connection(visit, connection_id, error=err, status=400)
    return saml_connection(visit, connection_id, message="Saved: the IdP details below were read from what you gave. Now run a test sign-in.")


# Sign-in methods ---------------------------------------------------------------------------------

def sign_in_methods(visit: Visit, error: SsoError | None = None, message: str = "", status: int = 200, values: dict | None = None):
    org = organizations.require(visit.organization).doc
    values = values or {"password": "password" in org.allowed_sign_in_methods, "sso": "sso" in org.allowed_sign_in_methods,
                        "sso_enforcement": org.sso_enforcement, "break_glass_emails": "\n".join(org.break_glass_emails)}
    return page(visit, "methods.html", "Sign-in methods", "/portal/sign-in-methods", status, values=values, error=error, message=message,
                verified_domains=org.verified_domains)


def save_sign_in_methods(visit: Visit) -> func.HttpResponse:
    form = forms.parse(forms.SignInMethodsForm, visit.form)
    emails = [e for e in form.break_glass_emails.replace(",", "\n").split() if e]
    body = {"allowed_sign_in_methods": [m for m in ("password", "sso") if getattr(form, m) == "on"],
            "sso_enforcement": form.sso_enforcement, "break_glass_emails": emails}
    values = {"password": form.password == "on", "sso": form.sso == "on", "sso_enforcement": form.sso_enforcement,
              "break_glass_emails": "\n".join(emails)}
    try:
        organization_admin.update(organizations.require(visit.organization), body, None)
    except SsoError as err:
        if err.status >= 500:
            raise
        return sign_in_methods(visit, error=err, status=400, values=values)
    return sign_in_methods(visit, message="Saved. The new sign-in policy applies to the next sign-in.")


# Domains -----------------------------------------------------------------------------------------

def domain_list(visit: Visit, error: SsoError | None = None, message: str = "", status: int = 200) -> func.HttpResponse:
    org = organizations.require(visit.organization).doc
    claims, _ = domains.list_claims(org, None, domains.MAX_PAGE)
    return page(visit, "domains.html", "Verify your domains", "/portal/domains", status, claims=claims, error=error, message=message)


def claim_domain(visit: Visit) -> func.HttpResponse:
    form = forms.parse(forms.DomainForm, visit.form)
    try:
        view, _ = domains.claim(organizations.require(visit.organization).doc, {"domain": form.domain})
    except SsoError as err:
        if err.status >= 500:
            raise
        return domain_list(visit, error=err, status=400)
    return domain_list(visit, message=f"Publish the TXT record for {view['domain']} below, then press Verify.")


def verify_domain(visit: Visit, domain: str) -> func.HttpResponse:
    forms.parse(forms.CsrfForm, visit.form)
    org = organizations.require(visit.organization).doc
    try:
        view = domains.verify(org, domains.path_domain(domain))
    except SsoError as err:
        if err.status >= 500 and err.code != "dns_unavailable":
            raise
        return domain_list(visit, error=err, status=err.status)
    return domain_list(visit, message=f"{view['domain']} is verified.")


# Credentials -------------------------------------------------------------------------------------

def credentials(visit: Visit, error: SsoError | None = None, message: str = "", status: int = 200, certificate: dict | None = None):
    views = [public_view(doc) for doc in connections.list_for(visit.organization)]
    return page(visit, "credentials.html", "Credentials", "/portal/credentials", status, connections=views, error=error,
                message=message, certificate=certificate)


def change_credential(visit: Visit, connection_id: str) -> func.HttpResponse:
    form = forms.parse(forms.CredentialForm, visit.form)
    stored = _connection(visit, connection_id)
    certificate = None
    try:
        if form.action == "rotate_secret":
            credential_rotation.rotate_secret(stored, {"client_secret": form.client_secret.strip(), "expires_on": form.expires_on.strip()})
            message = "The new client secret was accepted by Entra and is now in use."
        elif form.action == "rollback":
            credential_rotation.rollback(stored)
            message = "The previous credential is in use again."
        elif form.action == "create_certificate":
            certificate, _ = certificate_credentials.create(stored, {})
            certificate = {**certificate, "connection": connection_id}
            message = "Certificate created: download it, upload it to the app registration, then activate it here."
        else:
            certificate_credentials.activate(stored, {})
            message = "Entra accepted the certificate: it is now the connection's credential."
    except SsoError as err:
        if err.status >= 500:
            raise
        return credentials(visit, error=err, status=err.status)
    return credentials(visit, message=message, certificate=certificate)


def pending_certificate(visit: Visit, connection_id: str, query: dict) -> func.HttpResponse:
    """The pending certificate (public: no key) as a file to upload to Entra: PEM, or `.cer`
    (DER) with `format=cer`; Entra's Upload certificate takes either."""
    wanted = forms.parse(forms.CertificateDownload, query).format
    pending = _connection(visit, connection_id).doc.pending_certificate
    if pending is None:
        raise SsoError("no_pending_certificate")
    if wanted == "cer":
        body, mimetype = certificate_der(pending.certificate_pem), "application/pkix-cert"
    else:
        body, mimetype = pending.certificate_pem.encode("ascii"), "application/x-pem-file"
    return func.HttpResponse(body, status_code=200, mimetype=mimetype,
                             headers={**pages.headers(), "Content-Disposition": f'attachment; filename="{connection_id}.{wanted}"'})


# Directory sync ----------------------------------------------------------------------------------

def directory_sync(visit: Visit, error: SsoError | None = None, message: str = "", status: int = 200,
                   token: dict | None = None) -> func.HttpResponse:
    """The org's directories with the Tenant URL to paste, and what Entra's requests did lately
    (refused ones included); a new Secret Token is shown once, by the answer that made it."""
    listed = [directories.view(d) for d in directories.list_for(visit.organization)]
    recent, _ = events.list_events(visit.organization, None, 100)
    activity = [e.public() for e in recent if e.type.startswith("directory.")][:20]
    return page(visit, "directory_sync.html", "Directory sync", "/portal/directory-sync", status, directories=listed, activity=activity,
                error=error, message=message, token=token)


def change_directory_sync(visit: Visit) -> func.HttpResponse:
    form = forms.parse(forms.DirectoryForm, visit.form)
    try:
        if form.action == "create":
            if not form.name.strip():
                raise SsoError("missing_field", "Give the directory a name, e.g. the Entra tenant's name.")
            directory, secret = directories.create(visit.organization, form.name.strip()[:200], None, directories.token_expiry(None))
            message = "Directory created: paste the Tenant URL and the Secret Token below into Entra now (the token is shown only once)."
        else:
            stored = directories.require(visit.organization, form.directory)
            directory, secret = directories.rotate(stored, directories.token_expiry(None), 0)
            message = "New Secret Token issued: the old one no longer works. Paste this one into Entra now (it is shown only once)."
    except SsoError as err:
        if err.status >= 500:
            raise
        return directory_sync(visit, error=err, status=err.status)
    return directory_sync(visit, message=message, token={"directory": directory.id, "value": secret,
                                                          "expires_on": directory.token_expires_on})
