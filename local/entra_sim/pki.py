"""Keys and certificates the simulator makes for itself: the loopback CA and its TLS certificate,
and self-signed certificates for token and SAML signing (Entra publishes its signing keys as
self-signed X.509 certificates, and clients pin them by SHA-1 / SHA-256 thumbprint)."""

import base64
import datetime
import ipaddress
import os
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


@dataclass(frozen=True)
class KeyPair:
    """An RSA key and its certificate, with the forms clients look them up by."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())

    @property
    def x5t(self) -> str:
        return x5t(self.cert)

    @property
    def cert_b64(self) -> str:
        return base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()


def x5t(cert: x509.Certificate) -> str:
    """The base64url SHA-1 thumbprint: Entra's `kid` and `x5t`, and MSAL's legacy `x5t` header."""
    return b64url(cert.fingerprint(hashes.SHA1()))


def x5t_s256(cert: x509.Certificate) -> str:
    """The base64url SHA-256 thumbprint, MSAL's `x5t#S256` header."""
    return b64url(cert.fingerprint(hashes.SHA256()))


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def self_signed(common_name: str, *, days: int) -> KeyPair:
    """A self-signed signing certificate, as Entra's token keys and SAML certificates are."""
    key = new_key()
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name)).issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return KeyPair(key, cert)


def write_tls_files(state_dir: str) -> tuple[str, str, str]:
    """Creates a CA and a server certificate for 127.0.0.1 and localhost signed by it.

    Returns the paths of ca.pem (what clients trust), server.pem and server-key.pem.
    """
    now = _now()
    ca_key = new_key()
    ca_name = _name("entra-sso local Entra simulator CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = new_key()
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1")).issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    os.makedirs(state_dir, exist_ok=True)
    paths = tuple(os.path.join(state_dir, n) for n in ("ca.pem", "server.pem", "server-key.pem"))
    _write(paths[0], ca_cert.public_bytes(serialization.Encoding.PEM))
    _write(paths[1], server_cert.public_bytes(serialization.Encoding.PEM))
    _write(paths[2], KeyPair(server_key, server_cert).key_pem, private=True)
    return paths


def _write(path: str, data: bytes, private: bool = False) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def load_certificate(pem: str | bytes) -> x509.Certificate:
    """A PEM certificate, or the bare base64 DER body that Entra's portal and metadata use."""
    data = pem.encode() if isinstance(pem, str) else pem
    if b"-----BEGIN" not in data:
        return x509.load_der_x509_certificate(base64.b64decode(data))
    return x509.load_pem_x509_certificate(data)
