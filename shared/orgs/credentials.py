"""The credential an OIDC connection presents to Entra: its current client secret, or its
certificate's private key, read from the secret store by the version the record points at.

Values are cached per (secret name, version): a version never changes, so the cache is never
stale, and a sign-in does not pay a Key Vault round trip.
"""
from __future__ import annotations

import threading
from datetime import date

from shared import secret_store
from shared.oidc.entra_client import AppRegistration
from shared.orgs import connections
from shared.orgs.records import CertificateCredential, Connection, PendingCertificate, PreviousCredential
from shared.platform.timestamps import end_of_day
from shared.shared_app import app as shared_app

_values: dict[tuple[str, str], str] = {}
_lock = threading.Lock()


def store_client_secret(connection_id: str, value: str, expires_on: str) -> str:
    """Stores a client secret as a new version; returns the version id the record points at."""
    version = secret_store.get_secret_store().set_secret(
        connections.secret_name(connection_id), value, expires_on=end_of_day(date.fromisoformat(expires_on)), tags={"connection": connection_id}
    )
    return version.version_id


def secret_value(name: str, version: str) -> str:
    with _lock:
        cached = _values.get((name, version))
    if cached is not None:
        return cached
    value = secret_store.get_secret_store().get_secret(name, version).value
    with _lock:
        _values[(name, version)] = value
    return value


def certificate_credential(connection_id: str, certificate: CertificateCredential | PendingCertificate | PreviousCredential) -> dict:
    """MSAL's certificate credential for a certificate record (`thumbprint`, `certificate_pem`,
    `key_version`): current, pending, or the one a rollback restores. entra_client signs a new
    client assertion with it for every token request."""
    return {
        "private_key": secret_value(connections.secret_name(connection_id, connections.CERTIFICATE_KEY), certificate.key_version),
        "thumbprint": certificate.thumbprint,
        "public_certificate": certificate.certificate_pem,
    }


def current_credential(doc: Connection):
    """The connection's current credential: its client secret's value, or MSAL's certificate dict."""
    if doc.app == "shared":
        return shared_app.credential(shared_app.configured())
    if doc.certificate_credential:
        return certificate_credential(doc.id, doc.certificate_credential)
    return secret_value(connections.secret_name(doc.id), doc.client_secret_version)


def registration(doc: Connection) -> AppRegistration:
    """MSAL's view of the connection's current credential (a one-click connection's: the
    shared app's, pinned to the connection's tenant)."""
    if doc.app == "shared":
        return shared_app.registration(doc.id, doc.entra_tenant_id)
    certificate = doc.certificate_credential
    version = "cert:" + certificate.key_version if certificate else "secret:" + doc.client_secret_version
    return AppRegistration(doc.id, version, doc.entra_tenant_id, doc.client_id, current_credential(doc))
