"""What the service shows and checks of an X.509 certificate: Entra's thumbprint and expiry."""
from __future__ import annotations

import functools
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # cryptography loads where a certificate is read, off the cold start
    from cryptography import x509


def thumbprint(certificate: x509.Certificate) -> str:
    """SHA-1, upper-case hex: what Entra lists under Certificates & secrets."""
    from cryptography.hazmat.primitives import hashes  # loaded with the certificate given: not at cold start

    return certificate.fingerprint(hashes.SHA1()).hex().upper()


@functools.lru_cache(maxsize=1024)
def certificate_facts(pem: str) -> tuple[str, datetime]:
    """(thumbprint, expiry) of a PEM certificate; ValueError when it is not one."""
    from cryptography import x509  # on first use: cryptography stays off the cold start

    certificate = x509.load_pem_x509_certificate(pem.encode())
    return thumbprint(certificate), certificate.not_valid_after_utc


def certificate_der(pem: str) -> bytes:
    """A PEM certificate as DER: the binary `.cer` file Windows exports and Entra uploads."""
    from cryptography import x509  # on first use: cryptography stays off the cold start
    from cryptography.hazmat.primitives.serialization import Encoding

    return x509.load_pem_x509_certificate(pem.encode()).public_bytes(Encoding.DER)
