"""How a sign-in ends, for both protocols: a one-time code sent to the app, the admin's
diagnostic page for a test sign-in, or an error sent where it can be acted on.

Success and failure are both recorded as events. A failure goes to the app's redirect URI
(`error`, `error_description`, `state`) once that URI is known and allowed; before that, the
browser gets an error page.
"""
from __future__ import annotations

import html
from urllib.parse import urlencode

import azure.functions as func

from shared import events, logins
from shared.errors import SsoError
from shared.http import error_response, html_page, html_response, redirect
from shared.observability import log_sign_in
from shared.storage import tables


def redirect_to_app(redirect_uri: str, params: dict) -> func.HttpResponse:
    separator = "&" if "?" in redirect_uri else "?"
    return redirect(redirect_uri + separator + urlencode(params))


def user_detail(profile: dict) -> dict:
    return {"user": profile["id"], "idp_id": profile["idp_id"], "email": profile.get("email"), "entra_tenant_id": profile.get("entra_tenant_id")}


def succeed(login: tables.Stored, profile: dict, *, extra_ops: list[tables.Op] = (), checks: list | None = None) -> func.HttpResponse:
    doc = login.doc
    event = logins.sign_in_event(doc, outcome="ok", detail=user_detail(profile))
    if doc.get("test"):
        logins.finish_without_code(login, event, list(extra_ops))
        log_sign_in("ok", None, doc.get("protocol"))
        return html_response(diagnostic_page(profile, checks or [], None))
    code = logins.issue_code(login, profile, event, list(extra_ops))
    log_sign_in("ok", None, doc.get("protocol"))
    return redirect_to_app(doc["redirect_uri"], {"code": code, "state": doc.get("app_state", "")})


def fail(login: tables.Stored, err: SsoError, *, checks: list | None = None, claims: dict | None = None) -> func.HttpResponse:
    """Records the failure; the login stays pending (see logins.py) and expires on its own.
    When Entra or storage was unreachable (5xx) the browser gets a 503 page instead of the app's
    redirect: nothing was consumed, so reloading the page retries the same sign-in."""
    doc = login.doc
    record_failure(login.partition_key, doc, err)
    if err.status >= 500:
        return error_response(err, as_json=False)
    if doc.get("test"):
        return html_response(diagnostic_page(claims, checks or [], err), 400)
    return redirect_to_app(doc["redirect_uri"], {"error": err.code, "error_description": err.message, "state": doc.get("app_state", "")})


def record_failure(organization: str, login: dict, err: SsoError) -> None:
    """A failed sign-in as an event (with the reason) and a log line; `login` is the stored
    login, or for an unsolicited SAML response just its `connection` and `protocol`."""
    events.record(organization, "test_sign_in" if login.get("test") else "sign_in", connection=login.get("connection"),
                  outcome="failed", error=err.code, detail={"message": err.message})
    log_sign_in("failed", err.code, login.get("protocol"))


def email_domain_events(organization: str, connection_id: str, email_check) -> list[tables.Op]:
    """An event when the email's domain is verified by ANOTHER organization: the IdP asserted an
    address it does not own (nOAuth-style); the profile already says email_verified false."""
    if email_check.verified or not email_check.domain:
        return []
    from shared.domains import domain_owner

    owner = domain_owner(email_check.domain)
    if owner in (None, organization):
        return []
    return [events.event_op("email_domain_of_another_organization", connection=connection_id, outcome="warning",
                            detail={"domain": email_check.domain, "source": email_check.source})]


def _row(name: str, passed: bool, message: str) -> str:
    mark = '<span class="ok">passed</span>' if passed else '<span class="fail">failed</span>'
    return f"<tr><td>{html.escape(name)}</td><td>{mark}</td><td>{html.escape(message)}</td></tr>"


def diagnostic_page(data: dict | None, checks: list, err: SsoError | None) -> str:
    """What the admin's test sign-in shows: each check (name, passed, message, ...), the outcome,
    and what was received."""
    verdict = (f'<p class="fail"><strong>Sign-in would fail: {html.escape(err.code)}</strong> &mdash; {html.escape(err.message)}</p>'
               if err else '<p class="ok"><strong>Sign-in works.</strong> No code was issued: this was a test.</p>')
    rows = "".join(_row(name, passed, message) for name, passed, message, *_ in checks)
    received = "".join(f"<tr><td>{html.escape(str(k))}</td><td colspan=2><code>{html.escape(str(v))}</code></td></tr>" for k, v in (data or {}).items())
    return html_page(
        "Test sign-in",
        f"<h1>Test sign-in</h1>{verdict}<h2>Checks</h2><table><tr><th>check</th><th>result</th><th>detail</th></tr>{rows}</table>"
        f"<h2>Received</h2><table>{received}</table>",
    )
