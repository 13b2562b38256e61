"""What the service shows and checks of an X.509 certificate: Entra's thumbprint and expiry."""
from __future__ import annotations

import functools
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding


def thumbprint(certificate: x509.Certificate) -> str:
    """SHA-1, upper-case hex: what Entra lists under Certificates & secrets."""
    return certificate.fingerprint(hashes.SHA1()).hex().upper()


@functools.lru_cache(maxsize=1024)
def certificate_facts(pem: str) -> tuple[str, datetime]:
    """(thumbprint, expiry) of a PEM certificate; ValueError when it is not one."""
    certificate = x509.load_pem_x509_certificate(pem.encode())
    return thumbprint(certificate), certificate.not_valid_after_utc


def certificate_der(pem: str) -> bytes:
    """A PEM certificate as DER: the binary `.cer` file Windows exports and Entra uploads."""
    return x509.load_pem_x509_certificate(pem.encode()).public_bytes(Encoding.DER)
