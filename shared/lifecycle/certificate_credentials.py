"""Certificate credentials: an OIDC connection proving itself to Entra with a signed client
assertion (private_key_jwt) instead of a client secret.

    POST .../certificate            makes an RSA key pair and a self-signed certificate; the private
                                    key goes to the secret store (`{connection}/certificate-key`,
                                    in Azure Key Vault), the certificate is answered for the admin
                                    to upload to the app registration, and it waits as
                                    `pending_certificate` on the record
    POST .../certificate/activate   proves the pending certificate with a client-credentials
                                    request signed by its key, and only then makes it current
                                    (`certificate_credential`); while Entra refuses it, the
                                    current credential stays and Entra's reason is answered

The record keeps the certificate (public), its SHA-1 thumbprint (as Entra shows it, and as MSAL
sends it in the assertion's `x5t`), its expiry and the key's secret version; never the key.
Creating another certificate replaces the pending one (its key version stays in the store).
"""
from __future__ import annotations

import base64
import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from shared import secret_store
from shared.lifecycle.credential_rotation import (
    prove,
    record_event,
    record_refusal,
    replaced_detail,
    require_oidc,
    save,
    switched,
    view,
    with_certificate,
)
from shared.orgs import connections
from shared.orgs.credentials import certificate_credential
from shared.orgs.records import CertificateCredential, Connection, PendingCertificate
from shared.platform import validation as v
from shared.platform.certificates import thumbprint
from shared.platform.errors import SsoError
from shared.platform.observability import log
from shared.platform.timestamps import end_of_day, iso, utc_now
from shared.secret_store import SecretNotFound
from shared.storage import tables

if TYPE_CHECKING:  # cryptography loads where a certificate is made (make_certificate), off the cold start
    from cryptography import x509

KEY_SIZES = (2048, 3072)
DEFAULT_KEY_SIZE = 2048
DEFAULT_VALIDITY = timedelta(days=365)
MAX_VALIDITY = timedelta(days=3 * 365)
CREATE_FIELDS = frozenset({"key_size", "expires_on"})
ACTIVATE_FIELDS = frozenset({"thumbprint"})


def requested_expiry(body: dict, today: date) -> datetime:
    if "expires_on" not in body:
        return end_of_day(today + DEFAULT_VALIDITY)
    value = body["expires_on"]
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise v.invalid("expires_on", "a date as YYYY-MM-DD: when the certificate should expire (default: one year from today)")
    if day <= today or day > today + MAX_VALIDITY:
        raise SsoError("invalid_field", f"`expires_on` must be a date after today and at most {MAX_VALIDITY.days} days ahead (default: one year).")
    return end_of_day(day)


def requested_key_size(body: dict) -> int:
    size = body.get("key_size", DEFAULT_KEY_SIZE)
    if isinstance(size, bool) or size not in KEY_SIZES:
        raise v.invalid("key_size", "2048 or 3072 (RSA key bits)")
    return size


def make_certificate(connection: Connection, key_size: int, not_after: datetime) -> tuple[str, x509.Certificate]:
    """(private key PEM, self-signed certificate) for the connection's client assertions."""
    from cryptography import x509  # on first use (a certificate made): cryptography stays off the cold start
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"entra-sso {connection.id}"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"organization {connection.organization}"),
    ])
    now = utc_now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))  # tolerate a little clock skew at Entra
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode("ascii")
    return key_pem, certificate


def _answer(pending: PendingCertificate, certificate: x509.Certificate, key_size: int) -> dict:
    from cryptography.hazmat.primitives.serialization import Encoding  # loaded by make_certificate: not at cold start

    return {
        "certificate_pem": pending.certificate_pem,
        "thumbprint": pending.thumbprint,
        "expires_on": pending.expires_on,
        # The same certificate as a .cer file (DER), base64: decode and save as `<name>.cer`, or upload the PEM.
        "certificate_cer_base64": base64.b64encode(certificate.public_bytes(Encoding.DER)).decode("ascii"),
        "key_size": key_size,
        "status": "pending",
    }


def create(stored: tables.Stored[Connection], body: dict, if_match: str | None = None) -> tuple[dict, str]:
    """`POST .../certificate`: a new key pair, pending until activated."""
    from cryptography.hazmat.primitives.serialization import Encoding  # loaded by make_certificate: not at cold start

    doc = stored.doc
    require_oidc(doc)
    tables.check_if_match(if_match, stored.etag)
    key_size = requested_key_size(body)
    not_after = requested_expiry(body, utc_now().date())
    key_pem, certificate = make_certificate(doc, key_size, not_after)
    print_ = thumbprint(certificate)
    key_version = secret_store.get_secret_store().set_secret(
        connections.secret_name(doc.id, connections.CERTIFICATE_KEY), key_pem, expires_on=not_after,
        tags={"connection": doc.id, "thumbprint": print_},
    ).version_id
    pending = PendingCertificate(thumbprint=print_, certificate_pem=certificate.public_bytes(Encoding.PEM).decode("ascii"),
                                 key_version=key_version, expires_on=not_after.date().isoformat(), created=iso(utc_now()))
    saved = save(doc.replace(pending_certificate=pending), stored.etag)
    record_event(doc.organization, "connection.certificate_created", connection=doc.id,
                 detail={"thumbprint": print_, "expires_on": pending.expires_on, "key_size": key_size})
    return _answer(pending, certificate, key_size), saved.etag


def activate(stored: tables.Stored[Connection], body: dict, if_match: str | None = None) -> tuple[dict, str]:
    """`POST .../certificate/activate`: the pending certificate becomes current once Entra accepts
    a client assertion signed with it. Optional `thumbprint`: activate only that certificate."""
    doc = stored.doc
    require_oidc(doc)
    tables.check_if_match(if_match, stored.etag)
    pending = doc.pending_certificate
    if not pending:
        raise SsoError("no_pending_certificate")
    wanted = body.get("thumbprint")
    if wanted is not None and (not isinstance(wanted, str) or wanted.replace(":", "").upper() != pending.thumbprint):
        raise SsoError("no_pending_certificate", f"The pending certificate has thumbprint {pending.thumbprint}, not {str(wanted)[:64]!r}; "
                                                 "another certificate was created since. Upload that one to Entra, or create a new one.")
    if date.fromisoformat(pending.expires_on) < utc_now().date():
        raise SsoError("no_pending_certificate", "The pending certificate has expired; create a new one with POST .../certificate.")

    try:
        credential = certificate_credential(doc.id, pending)
    except SecretNotFound:
        raise SsoError("no_pending_certificate", "The pending certificate's private key is missing from the secret store; create a new certificate.") from None
    try:
        prove(doc, credential, "certificate")
    except SsoError as err:
        if err.status < 500:
            record_refusal(doc, "connection.certificate_activation_refused", err, {"thumbprint": pending.thumbprint})
        raise
    moment = utc_now()
    current = CertificateCredential(thumbprint=pending.thumbprint, certificate_pem=pending.certificate_pem, key_version=pending.key_version,
                                    expires_on=pending.expires_on, activated=iso(moment))
    updated = with_certificate(switched(doc, moment), current).without("pending_certificate")
    saved = save(updated, stored.etag)
    record_event(doc.organization, "connection.certificate_activated", connection=doc.id,
                 detail={"thumbprint": pending.thumbprint, "expires_on": pending.expires_on, **replaced_detail(updated)})
    log(logging.INFO, "certificate_activated", organization=doc.organization, connection=doc.id, thumbprint=pending.thumbprint)
    return view(saved), saved.etag
