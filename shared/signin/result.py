"""How a sign-in ends, for both protocols: a one-time code sent to the app, the admin's
diagnostic page for a test sign-in, or an error sent where it can be acted on.

Success and failure are both recorded as events. A failure goes to the app's redirect URI
(`error`, `error_description`, `state`) once that URI is known and allowed; before that, the
browser gets an error page. A failure that is not the sign-in's fault (Entra's server_error or
temporarily_unavailable, Entra, storage or the secret store unreachable: any 5xx) reaches the
app as `temporarily_unavailable`, whose sentence names no internal part; the event keeps the
cause. The login state is left pending, as after any failure (see logins.py): the app starts a
new sign-in, and the old state expires unused. Each outcome also updates the connection's
health (connection_health.py): the `error` status the admin API shows.
"""
from __future__ import annotations

import html
import json
from urllib.parse import urlencode

import azure.functions as func

from shared.orgs import connection_health, events
from shared.signin import logins
from shared.platform.errors import SsoError
from shared.web.http import html_page, html_response, redirect
from shared.platform.observability import correlation_id, log_sign_in
from shared.storage import tables


def redirect_to_app(redirect_uri: str, params: dict) -> func.HttpResponse:
    separator = "&" if "?" in redirect_uri else "?"
    return redirect(redirect_uri + separator + urlencode(params))


def user_detail(profile: dict) -> dict:
    return {"user": profile["id"], "idp_id": profile["idp_id"], "email": profile.get("email"), "entra_tenant_id": profile.get("entra_tenant_id")}


def succeed(login: tables.Stored, profile: dict, *, extra_ops: list[tables.Op] = (), checks: list | None = None,
            email=None) -> func.HttpResponse:
    doc = login.doc
    event = logins.sign_in_event(doc, outcome="ok", detail=user_detail(profile))
    try:
        if doc.get("test"):
            logins.finish_without_code(login, event, list(extra_ops))
        else:
            code = logins.issue_code(login, profile, event, list(extra_ops))
    except SsoError as err:
        if err.status < 500:  # used by a concurrent callback, or a replayed assertion: the winner answered
            raise
        return fail(login, err, checks=checks, claims=profile, email=email)
    log_sign_in("ok", None, doc.get("protocol"))
    connection_health.passed(login.partition_key, doc["connection"], test=bool(doc.get("test")))
    if doc.get("test"):
        return html_response(diagnostic_page(profile, checks or [], None, email, doc.get("protocol")))
    return redirect_to_app(doc["redirect_uri"], {"code": code, "state": doc.get("app_state", "")})


def as_shown(err: SsoError) -> SsoError:
    """The error the browser and the app see: any 5xx is `temporarily_unavailable`, keeping the cause."""
    if err.status < 500 or err.code == "temporarily_unavailable":
        return err
    return SsoError("temporarily_unavailable", detail={**err.detail, "cause": err.code, "cause_message": err.message})


def fail(login: tables.Stored, err: SsoError, *, checks: list | None = None, claims: dict | None = None, email=None) -> func.HttpResponse:
    """Records the failure; the login stays pending (see logins.py) and expires on its own."""
    doc = login.doc
    shown = as_shown(err)
    record_failure(login.partition_key, doc, shown)
    connection_health.failed(login.partition_key, doc["connection"], err, test=bool(doc.get("test")))
    if doc.get("test"):
        return html_response(diagnostic_page(claims, checks or [], shown, email, doc.get("protocol")), 503 if shown.status >= 500 else 400)
    return redirect_to_app(doc["redirect_uri"], {"error": shown.code, "error_description": shown.message, "state": doc.get("app_state", "")})


def record_failure(organization: str, login: dict, err: SsoError) -> None:
    """A failed sign-in as an event (with the reason; the cause of a transient one) and a log
    line; `login` is the stored login, or for an unsolicited SAML response just its `connection`
    and `protocol`. Storage being down loses the event, not the answer."""
    detail = {"message": err.message, **{k: err.detail[k] for k in ("cause", "cause_message") if k in err.detail}}
    try:
        events.record(organization, "test_sign_in" if login.get("test") else "sign_in", connection=login.get("connection"),
                      outcome="failed", error=err.code, detail=detail)
    except SsoError:
        pass  # storage_unavailable: the log line below still counts the failure
    log_sign_in("failed", err.code, login.get("protocol"))


def email_domain_events(organization: str, connection_id: str, email_check) -> list[tables.Op]:
    """An event when the email's domain is verified by ANOTHER organization: the IdP asserted an
    address it does not own (nOAuth-style); the profile already says email_verified false."""
    if email_check.verified or not email_check.domain:
        return []
    from shared.policy.domains import domain_owner

    owner = domain_owner(email_check.domain)
    if owner in (None, organization):
        return []
    return [events.event_op("email_domain_of_another_organization", connection=connection_id, outcome="warning",
                            detail={"domain": email_check.domain, "source": email_check.source})]


def _row(name: str, passed: bool | None, message: str) -> str:
    mark = {True: '<span class="ok">passed</span>', False: '<span class="fail">failed</span>', None: "not checked"}[passed]
    return f"<tr><td>{html.escape(name)}</td><td>{mark}</td><td>{html.escape(message)}</td></tr>"


def _source(source: str, protocol: str) -> str:
    return "the NameID" if source == "name_id" else f"the `{source}` {'attribute' if protocol == 'saml' else 'claim'}"


def email_explanation(check, protocol: str) -> str:
    """Why `email_verified` is what it is, in the words of the rule (shared/signin/profile.py)."""
    kind = "attribute" if protocol == "saml" else "claim"
    if check.verified:
        return (f"true: {check.email} came from the email {kind}, its domain {check.domain} is one of the organization's verified "
                "domains, and Entra vouches for it (xms_edov, or the connection is the organization's own single-tenant app).")
    return {
        "no_email": "false: nothing received is an email address.",
        "not_email_claim": f"false: {check.email} came from {_source(check.source, protocol)}, not from the email {kind}; only an address Entra issues as the email can be verified.",
        "domain_not_verified": f"false: {check.domain} is not one of the organization's verified domains; claim and verify it (POST /api/organizations/{{org}}/domains).",
        "not_vouched_by_entra": f"false: Entra does not vouch for {check.email}: add the optional claim xms_edov to the app registration's tokens, or use the organization's own single-tenant app.",
    }.get(check.reason, f"false: {check.reason}.")


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def diagnostic_page(data: dict | None, checks: list, err: SsoError | None, email=None, protocol: str = "oidc") -> str:
    """What the admin's test sign-in shows: each check (name, passed / failed / not checked,
    message, ...), the outcome, why `email_verified` is what it is, what was received (as JSON),
    and the correlation id its event carries."""
    verdict = (f'<p class="fail"><strong>Sign-in would fail: {html.escape(err.code)}</strong> &mdash; {html.escape(err.message)}</p>'
               if err else '<p class="ok"><strong>Sign-in works.</strong> No code was issued: this was a test.</p>')
    rows = "".join(_row(name, passed, message) for name, passed, message, *_ in checks)
    if email is not None:
        rows += _row("email source", True, f"{email.email} from {_source(email.source, protocol)}" if email.source else "no email address received")
    received = "".join(f"<tr><td>{html.escape(str(k))}</td><td><code>{html.escape(_json(v))}</code></td></tr>" for k, v in (data or {}).items())
    why = f"<h2>email_verified</h2><p>{html.escape(email_explanation(email, protocol))}</p>" if email is not None else ""
    return html_page(
        "Test sign-in",
        f"<h1>Test sign-in</h1>{verdict}<h2>Checks</h2><table><tr><th>check</th><th>result</th><th>detail</th></tr>{rows}</table>"
        f"{why}<h2>Received</h2><table>{received}</table>"
        f"<p>Correlation id: <code>{html.escape(correlation_id())}</code> (this test's event carries it)</p>",
    )
