"""Changing an OIDC connection's credential without downtime: client secret rotation, and
rolling back to the credential it replaced.

A credential becomes current only after Entra has accepted it in a client-credentials request
(`entra_client.probe_credential`), and only by one etag-guarded write of the connection record:

    1. validate the input                        (400: nothing touched)
    2. prove the credential with Entra           (4xx Entra's reason / 503: nothing touched)
    3. store the new secret version              (503: nothing touched)
    4. point the record at it, with the etag     (409: only an unreferenced secret version left)

Sign-ins in flight are unaffected: the record names the credential version, values are cached
per version and MSAL apps are built per version, and Entra keeps accepting the previous secret
until the admin deletes it there. So a callback that started with the old secret and finishes
with the new one (or the other way round) redeems its code either way.

The credential that was replaced is kept on the record as `previous_credential` (its secret
version or certificate key version, never a value) with the time it was replaced; for
ROLLBACK_WINDOW `POST .../secret/rollback` proves it again and makes it current. The secret
store keeps every version, so nothing is lost however the steps above fail.
"""
from __future__ import annotations

import logging
import secrets
from datetime import datetime

from shared.orgs import connections, events
from shared.orgs.connection_status import ROLLBACK_WINDOW, awaits_certificate, public_view, rollback_deadline
from shared.orgs.credential_proof import prove
from shared.orgs.credentials import certificate_credential, secret_value, store_client_secret
from shared.orgs.records import CertificateCredential, Connection, PreviousCredential
from shared.platform.errors import SsoError
from shared.platform.observability import log
from shared.platform.timestamps import iso, utc_now
from shared.secret_store import SecretNotFound
from shared.storage import tables

SECRET_FIELDS = frozenset({"client_secret", "expires_on"})


# -- shared by secret rotation and certificate activation --------------------------------------

def require_oidc(doc: Connection) -> None:
    if doc.protocol != "oidc":
        raise SsoError("not_oidc_connection", "This is a SAML connection: it has no client secret or certificate credential. "
                                              "Its IdP signing certificates come from its metadata (PATCH `idp_metadata_url` or `idp_certificate`).")


def _as_previous(doc: Connection, moment: datetime) -> PreviousCredential:
    """What the record uses now, by reference only (versions, never values), as replaced at `moment`."""
    certificate = doc.certificate_credential
    if certificate:
        return PreviousCredential(type="certificate", **certificate.to_stored(), replaced_at=iso(moment))
    return PreviousCredential(type="secret", version=doc.client_secret_version, expires_on=doc.client_secret_expires_on, replaced_at=iso(moment))


def reference(credential: PreviousCredential) -> dict:
    """A credential named for an event: its type and version or thumbprint, never a value."""
    named = {"type": credential.type}
    if credential.version is not None:
        named["version"] = credential.version
    if credential.thumbprint is not None:
        named["thumbprint"] = credential.thumbprint
    return named


def switched(doc: Connection, moment: datetime) -> Connection:
    """The record keeping its current credential for rollback (then make the new one current:
    `with_secret`, `with_certificate`). A connection created to take a certificate first has no
    credential yet: nothing to keep, nothing to roll back to."""
    if awaits_certificate(doc):
        return doc.without("previous_credential")
    return doc.replace(previous_credential=_as_previous(doc, moment))


def replaced_detail(updated: Connection) -> dict:
    """An event's account of the credential a switch replaced (none for a first credential)."""
    replaced = updated.previous_credential
    if replaced is None:
        return {"replaced": None}
    return {"replaced": replaced.type, "replaced_credential": reference(replaced), "rollback_until": rollback_until(updated)}


def with_certificate(doc: Connection, certificate: CertificateCredential) -> Connection:
    return doc.replace(credential_type="certificate", certificate_credential=certificate)


def with_secret(doc: Connection, version: str, expires_on: str) -> Connection:
    return doc.without("certificate_credential").replace(credential_type="secret", client_secret_version=version, client_secret_expires_on=expires_on)


def _restored(doc: Connection, previous: PreviousCredential) -> Connection:
    if previous.type == "secret":
        return with_secret(doc, previous.version, previous.expires_on)
    certificate = dict(thumbprint=previous.thumbprint, certificate_pem=previous.certificate_pem, key_version=previous.key_version,
                       expires_on=previous.expires_on)
    if previous.activated is not None:
        certificate["activated"] = previous.activated
    return with_certificate(doc, CertificateCredential(**certificate))


def record_event(organization: str, event_type: str, **fields) -> None:
    """Best effort: the change it records has already happened (or was refused), so a storage
    hiccup here must not turn a done rotation into an error the admin would retry."""
    try:
        events.record(organization, event_type, **fields)
    except SsoError as err:
        log(logging.WARNING, "event_not_recorded", organization=organization, type=event_type, error=err.code)


def record_refusal(doc: Connection, event_type: str, err: SsoError, detail: dict | None = None) -> None:
    record_event(doc.organization, event_type, connection=doc.id, outcome="failed", error=err.code,
                 detail={**(detail or {}), "message": err.message, **{k: v for k, v in err.detail.items() if k in ("aadsts", "correlation_id")}})


def rollback_until(doc: Connection) -> str | None:
    deadline = rollback_deadline(doc)
    return iso(deadline) if deadline else None


def view(saved: tables.Stored[Connection]) -> dict:
    return {**public_view(saved.doc), "etag": saved.etag}


def save(doc: Connection, etag: str) -> tables.Stored[Connection]:
    return connections.save(doc, etag)


# -- client secret rotation ---------------------------------------------------------------

def _current_secret_value(doc: Connection) -> str | None:
    if doc.certificate_credential or not doc.client_secret_version:
        return None

    try:
        return secret_value(connections.secret_name(doc.id), doc.client_secret_version)
    except SecretNotFound:
        return None


def rotate_secret(stored: tables.Stored[Connection], body: dict, if_match: str | None = None) -> tuple[dict, str]:
    """`POST .../secret`: proves `client_secret` with Entra, then makes it current."""
    doc = stored.doc
    require_oidc(doc)
    tables.check_if_match(if_match, stored.etag)
    for field in ("client_secret", "expires_on"):
        if field not in body:
            raise SsoError("missing_field", f"`{field}` is required: the new secret's Value and its Expires date (YYYY-MM-DD) from Entra.")
    value = connections.client_secret_value("client_secret", body["client_secret"])
    expires_on = connections.parse_expiry_date("expires_on", body["expires_on"])
    current = _current_secret_value(doc)
    if current is not None and secrets.compare_digest(current.encode(), value.encode()):
        raise SsoError("client_secret_unchanged")

    try:
        prove(doc, value, "secret")
    except SsoError as err:
        if err.status < 500:
            record_refusal(doc, "connection.secret_rotation_refused", err, {"expires_on": expires_on})
        raise
    version = store_client_secret(doc.id, value, expires_on)
    moment = utc_now()
    updated = with_secret(switched(doc, moment), version, expires_on)
    saved = save(updated, stored.etag)
    record_event(doc.organization, "connection.secret_rotated", connection=doc.id,
                 detail={"version": version, "expires_on": expires_on, **replaced_detail(updated)})
    log(logging.INFO, "secret_rotated", organization=doc.organization, connection=doc.id, version=version)
    return view(saved), saved.etag


# -- rollback --------------------------------------------------------------------------------

def _previous_credential_value(doc: Connection, previous: PreviousCredential):
    """The secret value, or MSAL's certificate dict, of the credential to restore."""

    try:
        if previous.type == "certificate":
            return certificate_credential(doc.id, previous)
        return secret_value(connections.secret_name(doc.id), previous.version)
    except SecretNotFound:
        raise SsoError("rollback_unavailable", "The previous credential is no longer in the secret store; rotate in a new client secret instead.") from None


def rollback(stored: tables.Stored[Connection], if_match: str | None = None) -> tuple[dict, str]:
    """`POST .../secret/rollback`: makes the credential replaced by the last rotation (or
    certificate activation) current again, within ROLLBACK_WINDOW, once Entra accepts it again."""
    doc = stored.doc
    require_oidc(doc)
    tables.check_if_match(if_match, stored.etag)
    previous = doc.previous_credential
    if not previous:
        raise SsoError("rollback_unavailable", "This connection's credential has not been rotated since it was created (or was already rolled back): there is nothing to restore.")
    if utc_now() > rollback_deadline(doc):
        raise SsoError("rollback_unavailable", f"The previous credential was replaced on {previous.replaced_at}, more than {ROLLBACK_WINDOW.days} days ago; rotate in a new client secret instead.")
    credential = _previous_credential_value(doc, previous)
    restored = reference(previous)
    try:
        prove(doc, credential, "rollback")
    except SsoError as err:
        if err.status < 500:
            record_refusal(doc, "connection.credential_rollback_refused", err, restored)
        raise
    rolled_back_from = _as_previous(doc, utc_now())
    updated = _restored(doc, previous).without("previous_credential")  # one step back; the newer version stays in the store
    saved = save(updated, stored.etag)
    record_event(doc.organization, "connection.credential_rolled_back", connection=doc.id,
                 detail={"restored": restored, "rolled_back_from": reference(rolled_back_from)})
    log(logging.INFO, "credential_rolled_back", organization=doc.organization, connection=doc.id, restored=previous.type)
    return view(saved), saved.etag
