"""Confidential client authentication at the token endpoint, as Entra checks it: a client secret
(in the body or HTTP Basic), or a private_key_jwt client assertion signed by one of the app's
registered certificates, found by the thumbprint in its header (`x5t#S256`, or legacy `x5t`)."""

import base64
import datetime
import hmac
import time

import jwt
from cryptography import x509

from . import pki
from .aadsts import EntraError
from .directory import App
from .grants import AssertionIds
from .workload import check_federated_assertion

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SKEW = 300


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
    except ValueError:
        return None
    return client_id, secret


def authenticate(app: App, form: dict, authorization: str | None, *, audiences: set[str],
                 assertion_ids: AssertionIds, keys=None) -> None:
    """Raises the EntraError Entra would answer when the client fails to prove itself."""
    basic = basic_credentials(authorization)
    secret = form.get("client_secret") or (basic[1] if basic else None)
    if form.get("client_assertion"):
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise EntraError(900144, parameter="client_assertion_type")
        if keys is not None and app.federated_credentials and _federated(form["client_assertion"]):
            check_federated_assertion(app, form["client_assertion"], keys)
        else:
            _check_assertion(app, form["client_assertion"], audiences, assertion_ids)
    elif secret:
        _check_secret(app, secret)
    else:
        raise EntraError(7000218)


def _federated(assertion: str) -> bool:
    """A workload identity's token (no certificate thumbprint in its header), not a certificate's."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.DecodeError:
        return False
    return not header.get("x5t") and not header.get("x5t#S256")


def _check_secret(app: App, secret: str) -> None:
    matches = [s for s in app.secrets if hmac.compare_digest(s.value.encode(), secret.encode())]
    if not matches:
        raise EntraError(7000215, client_id=app.client_id)
    now = datetime.datetime.now(datetime.timezone.utc)
    if all(s.expires < now for s in matches):
        raise EntraError(7000222, client_id=app.client_id)


def _thumbprint_hex(b64url_thumbprint: str) -> str:
    padded = b64url_thumbprint + "=" * (-len(b64url_thumbprint) % 4)
    try:
        return base64.urlsafe_b64decode(padded).hex().upper()
    except ValueError:
        return b64url_thumbprint


def _registered_certificate(app: App, header: dict) -> x509.Certificate:
    # MSAL sends the thumbprints base64url *with* padding; Entra doesn't mind.
    s256, sha1 = (str(header.get(name) or "").rstrip("=") for name in ("x5t#S256", "x5t"))
    for cert in app.certificates:
        if (s256 and s256 == pki.x5t_s256(cert)) or (sha1 and sha1 == pki.x5t(cert)):
            return cert
    raise EntraError(700027, detail=(
        "The certificate with identifier used to sign the client assertion is not registered on "
        "application. [Reason - The key was not found., Thumbprint of key used by client: "
        f"'{_thumbprint_hex(s256 or sha1 or '')}', Please visit the Azure Portal, Graph Explorer "
        f"or directly use MS Graph to see configured keys for app Id '{app.client_id}'.]"))


def _check_assertion(app: App, assertion: str, audiences: set[str],
                     assertion_ids: AssertionIds) -> None:
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.DecodeError:
        raise EntraError(50027) from None
    cert = _registered_certificate(app, header)
    thumbprint = _thumbprint_hex(pki.x5t(cert))
    if cert.not_valid_after_utc < datetime.datetime.now(datetime.timezone.utc):
        raise EntraError(700027, detail=(
            f"Client assertion contains an invalid signature. [Reason - The key used is expired., "
            f"Thumbprint of key used by client: '{thumbprint}']"))
    alg = header.get("alg")
    if alg not in ("RS256", "PS256"):
        raise EntraError(700027, detail=(
            f"Client assertion failed signature validation. [Reason - Unsupported algorithm "
            f"'{alg}'.]"))
    try:
        claims = jwt.decode(assertion, cert.public_key(), algorithms=[alg],
                            options={"verify_aud": False, "verify_exp": False,
                                     "verify_nbf": False, "verify_iat": False})
    except jwt.InvalidSignatureError:
        raise EntraError(700027, detail=(
            "Client assertion contains an invalid signature. [Reason - The key was found but "
            f"the signature does not verify., Thumbprint of key used by client: '{thumbprint}']"
        )) from None
    except jwt.PyJWTError:
        raise EntraError(50027) from None
    if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
        raise EntraError(700021)
    aud = claims.get("aud")
    if not (set(aud) if isinstance(aud, list) else {aud}) & audiences:
        raise EntraError(700023)
    now = time.time()
    exp, nbf = claims.get("exp"), claims.get("nbf", now)
    if not isinstance(exp, (int, float)) or exp < now - SKEW or nbf > now + SKEW:
        raise EntraError(700024)
    if "jti" in claims and not assertion_ids.first_use(str(claims["jti"]), exp):
        raise EntraError(700027, detail=(
            f"Client assertion has already been used. [Reason - The jti '{claims['jti']}' was "
            "seen before.]"))
