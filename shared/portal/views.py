"""The portal's pages, each a function of the request's Visit (guard.py): what it shows, and for
a form what it changes, through the same shared/admin, shared/policy and shared/lifecycle
functions the admin API's routes call. Every org comes from the session, never from the URL."""
from __future__ import annotations

from urllib.parse import urlsplit

import azure.functions as func

from shared.admin import connection_test
from shared.orgs import connections, organizations
from shared.orgs.connection_status import public_view
from shared.platform.observability import set_request_actor
from shared.platform.settings import get_settings
from shared.portal import forms, oidc_setup, pages, sessions
from shared.portal.guard import ACTOR, Visit

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
    _, link = sessions.peek_link(token)
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
    return page(visit, "sso.html", "Single sign-on", "/portal/sso", status, connections=views, message=message, test_checks=test_checks or [])


def oidc(visit: Visit) -> func.HttpResponse:
    return _oidc_page(visit, None, {name: "" for name in oidc_setup.FORM_FIELDS})


def _oidc_page(visit: Visit, outcome, values: dict, status: int = 200) -> func.HttpResponse:
    return page(visit, "oidc.html", "Set up OpenID Connect", "/portal/sso/oidc", status, outcome=outcome, values=values,
                redirect_uri=get_settings().oidc_redirect_uri, scopes=connections.DEFAULT_SCOPES)


def save_oidc(visit: Visit) -> func.HttpResponse:
    form = forms.parse(forms.OidcForm, visit.form)
    fields = form.model_dump(exclude={"csrf_token"})
    outcome = oidc_setup.save(visit.organization, fields)
    values = {**fields, "client_secret": ""}  # a secret given is never shown back
    return _oidc_page(visit, outcome, values, 200 if outcome.saved else 400)


class _CheckView:
    def __init__(self, check: dict):
        self.name, self.ok, self.message, self.code = check["check"], check["ok"], check.get("message", ""), check.get("error", "")
        self.label = self.name.replace("_", " ")


def test_sign_in(visit: Visit, connection_id: str) -> func.HttpResponse:
    checks, url = connection_test.start(_connection(visit, connection_id))
    if url is None:
        return sso(visit, test_checks=[_CheckView(c) for c in checks], status=400)
    return pages.see_other(url)
