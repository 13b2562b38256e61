"""The page an admin's test sign-in ends on (shared/signin/outcome.py DiagnosticPage): each check
(name, passed / failed / not checked, message), the outcome, why `email_verified` is what it is,
what was received (as JSON), and the correlation id its event carries."""
from __future__ import annotations

import html
import json

from shared.platform.observability import correlation_id
from shared.signin.outcome import DiagnosticPage
from shared.signin.profile import EmailCheck
from shared.web.diagnostic_flags import flags
from shared.web.http import html_page


def _row(name: str, passed: bool | None, message: str) -> str:
    mark = {True: '<span class="ok">passed</span>', False: '<span class="fail">failed</span>', None: "not checked"}[passed]
    return f"<tr><td>{html.escape(name)}</td><td>{mark}</td><td>{html.escape(message)}</td></tr>"


def _source(source: str, protocol: str) -> str:
    return "the NameID" if source == "name_id" else f"the `{source}` {'attribute' if protocol == 'saml' else 'claim'}"


def email_explanation(check: EmailCheck, protocol: str) -> str:
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


def diagnostic_page(outcome: DiagnosticPage) -> str:
    err, email, protocol = outcome.error, outcome.email, outcome.protocol
    verdict = (f'<p class="fail"><strong>Sign-in would fail: {html.escape(err.code)}</strong> &mdash; {html.escape(err.message)}</p>'
               if err else '<p class="ok"><strong>Sign-in works.</strong> No code was issued: this was a test.</p>')
    rows = "".join(_row(name, passed, message) for name, passed, message, *_ in outcome.checks)
    if email is not None:
        rows += _row("email source", True, f"{email.email} from {_source(email.source, protocol)}" if email.source else "no email address received")
    received = "".join(f"<tr><td>{html.escape(str(k))}</td><td><code>{html.escape(_json(v))}</code></td></tr>" for k, v in (outcome.received or {}).items())
    found = flags(outcome)
    flagged = (f'<h2>Flags</h2><ul id="flags">{"".join(f"<li>{html.escape(flag)}</li>" for flag in found)}</ul>' if found
               else '<h2>Flags</h2><p id="flags">None: nothing to fix in Entra.</p>')
    why = f"<h2>email_verified</h2><p>{html.escape(email_explanation(email, protocol))}</p>" if email is not None else ""
    return html_page(
        "Test sign-in",
        f"<h1>Test sign-in</h1>{verdict}{flagged}<h2>Checks</h2><table><tr><th>check</th><th>result</th><th>detail</th></tr>{rows}</table>"
        f"{why}<h2>Received</h2><table>{received}</table>"
        f"<p>Correlation id: <code>{html.escape(correlation_id())}</code> (this test's event carries it)</p>",
    )
