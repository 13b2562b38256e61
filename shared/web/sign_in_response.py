"""A sign-in's outcome (shared/signin/outcome.py) as the browser's HTTP response."""
from __future__ import annotations

import html
from urllib.parse import urlencode

import azure.functions as func

from shared.signin.outcome import CodeRedirect, DiagnosticPage, Elsewhere, ErrorRedirect, Notice, Outcome
from shared.web.diagnostic_page import diagnostic_page
from shared.web.http import html_page, html_response, redirect


def _to_app(redirect_uri: str, params: dict) -> func.HttpResponse:
    separator = "&" if "?" in redirect_uri else "?"
    return redirect(redirect_uri + separator + urlencode(params))


def sign_in_response(outcome: Outcome) -> func.HttpResponse:
    if isinstance(outcome, CodeRedirect):
        return _to_app(outcome.redirect_uri, {"code": outcome.code, "state": outcome.app_state})
    if isinstance(outcome, ErrorRedirect):
        error = outcome.error
        return _to_app(outcome.redirect_uri, {"error": error.code, "error_description": error.message, "state": outcome.app_state})
    if isinstance(outcome, DiagnosticPage):
        status = 200 if outcome.error is None else 503 if outcome.error.status >= 500 else 400
        return html_response(diagnostic_page(outcome), status)
    if isinstance(outcome, Elsewhere):
        return redirect(outcome.url)
    if isinstance(outcome, Notice):
        return html_response(html_page(outcome.title, f"<h1>{html.escape(outcome.title)}</h1><p>{html.escape(outcome.message)}</p>"))
    # ErrorPage: raised to the handler wrapper (http.browser_handler), which renders every
    # refused request the same way (status, HTML or JSON as asked, the log line).
    raise outcome.error
