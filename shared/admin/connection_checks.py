"""What `POST .../connections/{id}/test` checks before it hands out a test URL: everything the
server can find out without a user. Each check answers `{"check", "ok", "message"}`, the message
saying what to fix when it failed.

OIDC: the tenant's discovery document, then a client-credentials request with the current
credential (the proof secret rotation makes). SAML: IdP metadata present and usable for one
tenant, a signing certificate not expired, sp_entity_id and acs_url set. Entra unreachable is
not a finding about the connection: it raises `authority_unreachable` (503) and changes nothing.

A failed run is kept on the record (`test_failure`, shown as status `error` with the reason) and
a passing one clears it.
"""
from __future__ import annotations

from datetime import datetime, timezone

from shared.oidc.discovery import provider_metadata
from shared.orgs import connections, events
from shared.orgs.connection_status import CERTIFICATE_PENDING_MESSAGE, PENDING_MESSAGE, awaits_certificate, is_pending
from shared.orgs.credential_proof import prove
from shared.orgs.credentials import current_credential
from shared.orgs.records import Connection, TestFailure
from shared.platform.certificates import certificate_facts
from shared.platform.errors import SsoError
from shared.platform.timestamps import iso
from shared.storage import tables


def _check(name: str, run) -> dict:
    try:
        run()
    except SsoError as err:
        if err.status >= 500:
            raise
        return {"check": name, "ok": False, "error": err.code, "message": err.message}
    return {"check": name, "ok": True}


def _oidc_checks(doc: Connection) -> list[dict]:
    discovery = _check("tenant_discovery", lambda: provider_metadata(doc.entra_tenant_id))
    if not discovery["ok"]:
        return [discovery, {"check": "client_credentials", "ok": False, "error": "skipped",
                            "message": "Not tried: Entra does not know the tenant; fix the tenant first."}]
    if awaits_certificate(doc):
        return [discovery, {"check": "client_credentials", "ok": False, "error": "connection_pending", "message": CERTIFICATE_PENDING_MESSAGE}]
    return [discovery, _check("client_credentials", lambda: prove(doc, current_credential(doc), "test"))]


def _fail(name: str, message: str) -> dict:
    return {"check": name, "ok": False, "error": "invalid_field", "message": message}


def _saml_checks(doc: Connection) -> list[dict]:
    from shared.saml.idp_metadata import refuse_tenant_independent  # the SAML stack loads on first SAML use, not at cold start

    if is_pending(doc):
        metadata = {**_fail("idp_metadata", PENDING_MESSAGE), "error": "connection_pending"}
    else:
        metadata = _check("idp_metadata", lambda: refuse_tenant_independent(doc.idp_entity_id, doc.idp_sso_url, "invalid_metadata"))
    now = datetime.now(timezone.utc)
    expiries = [certificate_facts(pem)[1] for pem in doc.idp_certificates]
    if not expiries:
        certificate = _fail("signing_certificate", "There is no IdP signing certificate: add the IdP metadata (it lists Entra's SAML signing certificate).")
    elif max(expiries) <= now:
        certificate = {**_fail("signing_certificate", "Every IdP signing certificate has expired: create a new SAML signing certificate "
                                                      "in the Entra enterprise app, make it active, and update the connection's metadata."),
                       "error": "certificate_expired"}
    else:
        certificate = {"check": "signing_certificate", "ok": True, "expires_on": max(expiries).date().isoformat()}
    sp = {"check": "sp_entity_id", "ok": True} if doc.sp_entity_id else _fail(
        "sp_entity_id", "The connection has no sp_entity_id; PATCH it (an absolute URI) and paste it into Entra as the Identifier (Entity ID).")
    return [metadata, certificate, sp, {"check": "acs_url", "ok": True}]  # acs_url is built from SSO_PUBLIC_BASE_URL: always set


def refusal(checks: list[dict]) -> dict:
    """The 400 body of a failed run: the error, and every check with its fix."""
    failed = [c["check"] for c in checks if not c["ok"]]
    message = f"Failed: {', '.join(failed)}. Fix what each failed check says, then test again; no test sign-in was started."
    return {**SsoError("connection_test_failed", message).to_json(), "checks": checks}


def run(stored: tables.Stored[Connection]) -> tuple[list[dict], tables.Stored[Connection]]:
    """Runs the checks and records the outcome on the connection; answers (checks, the record now)."""
    doc = stored.doc
    checks = _oidc_checks(doc) if doc.protocol == "oidc" else _saml_checks(doc)
    failed = [c for c in checks if not c["ok"]]
    if failed:
        updated = doc.replace(test_failure=TestFailure(at=iso(), message="; ".join(f"{c['check']}: {c['message']}" for c in failed),
                                                       checks=[c["check"] for c in failed]))
        events.record(doc.organization, "connection.test_failed", connection=doc.id, outcome="failed", error="connection_test_failed",
                      detail={"checks": [{k: c[k] for k in ("check", "error") if k in c} for c in failed]})
    else:
        updated = doc.without("test_failure")
    if updated.to_stored() == doc.to_stored():
        return checks, stored
    return checks, connections.save(updated, stored.etag)
