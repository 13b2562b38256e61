"""IdP signing certificates as pasted by admins or listed in metadata: PEM, or the bare base64
DER body Entra's metadata and "Certificate (Base64)" download use. Normalised to PEM, refused
when unreadable, too weak or expired."""
from __future__ import annotations

import base64
import binascii
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from shared.platform.errors import SsoError

MAX_CERTIFICATE_CHARS = 16 * 1024
MIN_RSA_BITS = 2048  # Entra's SAML certificates are RSA 2048; anything smaller is forgeable in practice


def load_certificate(text: str | bytes, *, now: datetime.datetime | None = None) -> str:
    """The certificate as PEM; `invalid_certificate` or `certificate_expired` otherwise."""
    certificate = _parse(text)
    key = certificate.public_key()
    if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise SsoError("invalid_certificate", "The certificate's key is neither RSA nor EC; use the SAML signing certificate Entra generated.")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise SsoError("invalid_certificate", f"The certificate's RSA key has {key.key_size} bits; create a SAML signing certificate of at least {MIN_RSA_BITS} bits in Entra.")
    not_after = certificate.not_valid_after_utc
    if not_after <= (now or datetime.datetime.now(datetime.timezone.utc)):
        raise SsoError("certificate_expired", f"The IdP signing certificate expired on {not_after:%Y-%m-%d}; create a new SAML signing certificate in Entra, make it active, and update the connection.")
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _parse(text: str | bytes) -> x509.Certificate:
    if isinstance(text, bytes):
        text = text.decode("ascii", errors="replace")
    if not isinstance(text, str) or len(text) > MAX_CERTIFICATE_CHARS:
        raise SsoError("invalid_certificate")
    body = "".join(line for line in text.strip().splitlines() if not line.startswith("-----"))
    try:
        return x509.load_der_x509_certificate(base64.b64decode("".join(body.split()), validate=True))
    except (binascii.Error, ValueError):
        raise SsoError("invalid_certificate") from None
