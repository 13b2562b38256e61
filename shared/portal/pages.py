"""Rendering portal pages: Jinja2 templates (autoescaped), the portal's security headers, its
static files, and the page a refused request gets (its message and correlation id, nothing else)."""
from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import urlsplit

import azure.functions as func

from shared.platform.errors import SsoError
from shared.platform.observability import correlation_id
from shared.platform.settings import get_settings, is_loopback_host
from shared.web.http import CORRELATION_HEADER

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript"}
COOKIE = "portal_session"


@functools.lru_cache(maxsize=1)
def _environment():
    # Jinja2 loads on first use (a portal page), not at every cold start of the sign-in functions.
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True, default_for_string=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def headers() -> dict[str, str]:
    """No inline script or style anywhere; who may frame the portal comes from a setting."""
    csp = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; "
           f"frame-ancestors {get_settings().portal_frame_ancestors}")
    return {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store", CORRELATION_HEADER: correlation_id()}


def render(template: str, status: int = 200, extra_headers: dict | None = None, **context) -> func.HttpResponse:
    page = _environment().get_template(template).render(correlation_id=correlation_id(), **context)
    return func.HttpResponse(page, status_code=status, mimetype="text/html", charset="utf-8", headers={**headers(), **(extra_headers or {})})


def refused(err: SsoError) -> func.HttpResponse:
    return render("refused.html", err.status, message=err.message, code=err.code)


def see_other(location: str, extra_headers: dict | None = None) -> func.HttpResponse:
    return func.HttpResponse(status_code=303, headers={**headers(), "Location": location, **(extra_headers or {})})


def session_cookie(value: str, max_age: int) -> str:
    """HttpOnly, SameSite=Lax, scoped to /portal; Secure unless the stamp is plain http on loopback."""
    base = urlsplit(get_settings().public_base_url)
    secure = "" if base.scheme == "http" and is_loopback_host(base.hostname) else "; Secure"
    return f"{COOKIE}={value}; Path=/portal; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"


def static_file(name: str) -> func.HttpResponse:
    """A file of static/ by its bare name (no path can climb out: only listed files answer)."""
    path = STATIC / name
    if "/" in name or "\\" in name or path.suffix not in STATIC_TYPES or not path.is_file():
        raise SsoError("not_found", "No such portal file.")
    return func.HttpResponse(path.read_bytes(), status_code=200, mimetype=STATIC_TYPES[path.suffix], charset="utf-8",
                             headers={**headers(), "Cache-Control": "public, max-age=300"})
