"""What every portal page checks before it does anything: a live session from the cookie, the
page belongs to the session's intent, and a form was sent by the portal itself (the session's
CSRF token, and no cross-site Origin or Sec-Fetch-Site). The org a page acts on is always the
session's: nothing in a URL or form can name another one."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Callable
from urllib.parse import urlsplit

import azure.functions as func

from shared.orgs import events
from shared.platform.errors import SsoError
from shared.platform.observability import request_organization, set_request_actor, set_request_organization
from shared.platform.settings import get_settings
from shared.portal import pages, sessions
from shared.portal.multipart import read_multipart
from shared.web.http import read_form

ACTOR = "portal"
# Which pages each intent's session may open (SSO setup also reaches its connections' credentials).
AREAS = {
    "sso": {"sso", "credentials"},
    "credentials": {"credentials"},
    "domain_verification": {"domains"},
    "directory_sync": {"directory_sync"},
}


@dataclass(frozen=True)
class Visit:
    session: sessions.PortalSession
    form: dict[str, str]

    @property
    def organization(self) -> str:
        return self.session.organization


def cookie_value(req: func.HttpRequest) -> str | None:
    try:
        jar = SimpleCookie(req.headers.get("cookie") or "")
    except CookieError:
        return None
    morsel = jar.get(pages.COOKIE)
    return morsel.value if morsel else None


def refuse_cross_site(req: func.HttpRequest) -> None:
    """A browser says where a POST comes from: Sec-Fetch-Site must be same-origin, and an Origin
    must be this stamp's. (Under Referrer-Policy no-referrer a browser sends `Origin: null` even
    for the portal's own forms, so null is judged by Sec-Fetch-Site; the CSRF token covers
    clients that send neither.)"""
    base = urlsplit(get_settings().public_base_url)
    origin = req.headers.get("origin")
    if origin not in (None, "null") and origin != f"{base.scheme}://{base.netloc}":
        raise SsoError("portal_form_refused")
    site = req.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        raise SsoError("portal_form_refused")


def _visit(req: func.HttpRequest, area: str) -> Visit:
    session = sessions.read_session(cookie_value(req))
    set_request_organization(session.organization)
    set_request_actor(ACTOR)
    if area != "any" and area not in AREAS[session.intent]:
        raise SsoError("portal_wrong_intent")
    form: dict[str, str] = {}
    if req.method == "POST":
        refuse_cross_site(req)
        content_type = req.headers.get("content-type") or ""
        if content_type.split(";")[0].strip().lower() == "multipart/form-data":
            form = read_multipart(content_type, req.get_body() or b"")
        else:
            form = read_form(req)
        sessions.check_csrf(session, form.pop("csrf_token", None))
    return Visit(session, form)


def _record_refusal(req: func.HttpRequest, err: SsoError) -> None:
    """A refusal once the session's org is known (a bad form, a cross-site post, another org's
    id) is an event of that org, as refused input to the admin API is."""
    organization = request_organization()
    if organization is None:
        return
    try:
        events.record(organization, "request.refused", outcome="failed", error=err.code,
                      detail={"method": req.method, "route": urlsplit(req.url).path, "message": err.message})
    except SsoError:
        pass


def portal_page(area: str) -> Callable:
    """Wraps a page handler `fn(req, visit)`; any refusal is the portal's refusal page."""
    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def handler(req: func.HttpRequest) -> func.HttpResponse:
            try:
                return fn(req, _visit(req, area))
            except SsoError as err:
                if err.status >= 500:
                    raise
                _record_refusal(req, err)
                return pages.refused(err)
        return handler
    return wrap


def refusing(fn: Callable) -> Callable:
    """For the pages before a session exists (opening a link): refusals as the portal's page."""
    @functools.wraps(fn)
    def handler(req: func.HttpRequest) -> func.HttpResponse:
        try:
            return fn(req)
        except SsoError as err:
            if err.status >= 500:
                raise
            return pages.refused(err)
    return handler
