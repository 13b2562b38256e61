"""How every sign-in ends, whichever the protocol: the checks each ending makes, made once.

A protocol module (oidc_ending.py, saml_ending.py) finds its login, validates its own message
and builds the profile (its `verify` step); everything else is here, in this order: the
connection and organization still usable (targets.live_target), the protocol's `verify`, the
org's sign-in policy (`admit`), the email-domain warning, then the commit with its event, the
connection's health, and the outcome: a one-time code for the app, the admin's diagnostic page
for a test sign-in, or the error, sent where it can be acted on.

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

from dataclasses import dataclass, field, replace
from typing import Callable

from shared.orgs import connection_health, events
from shared.platform.errors import SsoError
from shared.platform.observability import log_sign_in
from shared.policy import directory_admission
from shared.policy.domains import domain_owner
from shared.policy.sign_in_policy import admit
from shared.signin import logins
from shared.signin.outcome import CodeRedirect, DiagnosticPage, ErrorPage, ErrorRedirect, Outcome
from shared.signin.profile import EmailCheck
from shared.signin.targets import Target, live_target
from shared.storage import tables


@dataclass
class Evidence:
    """What a test sign-in's diagnostic page shows, filled in by `verify` as it gets it: a refusal
    halfway still shows the checks made and what was received."""
    checks: list = field(default_factory=list)
    received: dict | None = None
    email: EmailCheck | None = None


@dataclass(frozen=True)
class Verified:
    """The protocol's verdict: the profile, its email check, and rows its commit must add (the
    SAML assertion id's replay row)."""
    profile: dict
    email: EmailCheck
    extra_ops: tuple[tables.Op, ...] = ()


Verify = Callable[[Target, Evidence], Verified]


def end(login: tables.Stored | None, *, organization: str, connection_id: str, protocol: str, verify: Verify) -> Outcome:
    """Ends the sign-in of `login` (None: an IdP-initiated SAML response, which has none)."""
    evidence = Evidence()
    try:
        target = live_target(organization, connection_id, test=login is not None and login.doc.test)
        verified = verify(target, evidence)
        evidence.email = verified.email
        admit(target.organization, target.connection, verified.profile)
        verified = replace(verified, profile=directory_admission.admit(target.organization, target.connection, verified.profile))
        extra = [*verified.extra_ops, *email_domain_events(organization, connection_id, verified.email)]
        if login is None:
            return _unsolicited(target, verified.profile, extra)
    except SsoError as err:
        if login is None:
            return _refused_unsolicited(organization, connection_id, protocol, err)
        return fail(login, err, evidence)
    return succeed(login, verified.profile, evidence, extra)


def user_detail(profile: dict) -> dict:
    return {"user": profile["id"], "idp_id": profile["idp_id"], "email": profile.get("email"), "entra_tenant_id": profile.get("entra_tenant_id")}


def succeed(login: tables.Stored, profile: dict, evidence: Evidence, extra_ops: list[tables.Op]) -> Outcome:
    doc = login.doc
    event = logins.sign_in_event(doc, outcome="ok", detail=user_detail(profile))
    try:
        if doc.test:
            logins.finish_without_code(login, event, extra_ops)
        else:
            code = logins.issue_code(login, profile, event, extra_ops)
    except SsoError as err:
        if err.status < 500:  # used by a concurrent callback, or a replayed assertion: the winner answered
            raise
        return fail(login, err, Evidence(evidence.checks, profile, evidence.email))
    log_sign_in("ok", None, doc.protocol)
    connection_health.passed(login.partition_key, doc.connection, test=doc.test)
    if doc.test:
        return DiagnosticPage(doc.protocol, tuple(evidence.checks), profile, evidence.email, None)
    return CodeRedirect(doc.redirect_uri, code, doc.app_state)


def as_shown(err: SsoError) -> SsoError:
    """The error the browser and the app see: any 5xx is `temporarily_unavailable`, keeping the cause."""
    if err.status < 500 or err.code == "temporarily_unavailable":
        return err
    return SsoError("temporarily_unavailable", detail={**err.detail, "cause": err.code, "cause_message": err.message})


def fail(login: tables.Stored, err: SsoError, evidence: Evidence) -> Outcome:
    """Records the failure; the login stays pending (see logins.py) and expires on its own."""
    doc = login.doc
    shown = as_shown(err)
    record_failure(login.partition_key, shown, connection=doc.connection, protocol=doc.protocol, test=doc.test)
    connection_health.failed(login.partition_key, doc.connection, err, test=doc.test)
    if doc.test:
        return DiagnosticPage(doc.protocol, tuple(evidence.checks), evidence.received, evidence.email, shown)
    return ErrorRedirect(doc.redirect_uri, shown, doc.app_state)


def record_failure(organization: str, err: SsoError, *, connection: str, protocol: str, test: bool = False) -> None:
    """A failed sign-in as an event (with the reason; the cause of a transient one) and a log
    line. Storage being down loses the event, not the answer."""
    detail = {"message": err.message, **{k: err.detail[k] for k in ("cause", "cause_message") if k in err.detail}}
    try:
        events.record(organization, logins.event_type(test), connection=connection, outcome="failed", error=err.code, detail=detail)
    except SsoError:
        pass  # storage_unavailable: the log line below still counts the failure
    log_sign_in("failed", err.code, protocol)


def email_domain_events(organization: str, connection_id: str, email_check: EmailCheck) -> list[tables.Op]:
    """An event when the email's domain is verified by ANOTHER organization: the IdP asserted an
    address it does not own (nOAuth-style); the profile already says email_verified false."""
    if email_check.verified or not email_check.domain:
        return []
    owner = domain_owner(email_check.domain)
    if owner in (None, organization):
        return []
    return [events.event_op("email_domain_of_another_organization", connection=connection_id, outcome="warning",
                            detail={"domain": email_check.domain, "source": email_check.source})]


def _unsolicited(target: Target, profile: dict, extra: list[tables.Op]) -> Outcome:
    """An IdP-initiated sign-in: no login, no app state; the code goes to the org's first redirect URI."""
    org, connection = target.organization, target.connection
    redirect_uri = org.redirect_uris[0]
    event = events.event_op(logins.event_type(False), connection=connection.id, outcome="ok",
                            detail={**user_detail(profile), "idp_initiated": True})
    code = logins.issue_unsolicited_code(org.id, profile, event, extra, connection=connection.id, protocol=connection.protocol,
                                         redirect_uri=redirect_uri)
    log_sign_in("ok", None, connection.protocol)
    return CodeRedirect(redirect_uri, code, "")


def _refused_unsolicited(organization: str, connection_id: str, protocol: str, err: SsoError) -> Outcome:
    """No redirect URI is known: the browser gets the error itself (a 5xx as it is)."""
    if err.code != "unknown_connection":  # a deleted org or connection gets no new events
        record_failure(organization, err, connection=connection_id, protocol=protocol)
    return ErrorPage(err)
