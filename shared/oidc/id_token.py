"""Generic OIDC ID-token checks (RFC 7515/7519, OpenID Connect Core 3.1.3.7).

Each check is one function with its own error code, returning a sentence that says what it
verified (the admin's diagnostic page shows it). A provider layer (entra_id_token.py) puts them in
order: `validate` stops at the first failure, `diagnose` runs them all and reports each.
"""
from __future__ import annotations

import base64
import binascii
import functools
import hmac
import json
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, NamedTuple, Sequence

from shared.platform.errors import SsoError

if TYPE_CHECKING:  # PyJWT loads with the first key or signature check, off the cold start
    from jwt import PyJWK

ALGORITHM = "RS256"  # the only one: Entra signs ID tokens with it, so nothing else is ever legitimate
# Entra and our hosts keep NTP time, so real skew is seconds; 2 minutes also covers a slow token
# endpoint round trip while keeping an expired token usable only briefly (the rule caps it at 5).
LEEWAY_SECONDS = 120

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


@functools.lru_cache(maxsize=1)
def _rs256():
    from jwt.algorithms import RSAAlgorithm  # on first use (a signature check): PyJWT and cryptography stay off the cold start

    return RSAAlgorithm(RSAAlgorithm.SHA256)


@dataclass(frozen=True)
class Jwt:
    header: dict
    claims: dict
    signing_input: bytes
    signature: bytes


Check = tuple[str, Callable[[Jwt], str]]


class CheckResult(NamedTuple):
    check: str
    passed: bool
    message: str
    error: str | None  # our error code when it failed


def _malformed(why: str) -> SsoError:
    return SsoError("id_token_malformed", f"The ID token is not a well-formed signed JWT: {why}.")


def _segment(segment: str) -> bytes:
    if not _BASE64URL.fullmatch(segment):  # b64decode would silently skip foreign characters
        raise _malformed("a segment is not base64url")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise _malformed("a segment is not base64url") from None


def _json_object(segment: str, what: str) -> dict:
    try:
        value = json.loads(_segment(segment))
    except (ValueError, RecursionError):  # ValueError covers UnicodeDecodeError
        raise _malformed(f"the {what} is not JSON") from None
    if not isinstance(value, dict):
        raise _malformed(f"the {what} is not a JSON object")
    return value


def parse_jwt(token: object) -> Jwt:
    """Splits and decodes a compact JWS; nothing in it is trusted yet."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise _malformed("it must be three dot-separated segments")
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = _json_object(header_b64, "header")
    if "crit" in header:  # RFC 7515 4.1.11: extensions we do not implement must be refused
        raise _malformed("it uses critical header extensions")
    return Jwt(header, _json_object(payload_b64, "payload"), f"{header_b64}.{payload_b64}".encode("ascii"), _segment(signature_b64))


def required_claim(claims: dict, name: str):
    value = claims.get(name)
    if value is None:
        raise SsoError("id_token_missing_claim", f"The ID token has no '{name}' claim; check the app registration's token configuration.")
    return value


def _time(claims: dict, name: str) -> float:
    value = required_claim(claims, name)
    # bool is an int; NaN and Infinity parse from JSON and would compare as never-expiring
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _malformed(f"the '{name}' claim is not a number of seconds")
    return value


def check_algorithm(token: Jwt) -> str:
    """Runs before any key is touched: refuses `none`, HS256 (a public key used as an HMAC
    secret) and every other algorithm whatever key they name."""
    alg = token.header.get("alg")
    if alg != ALGORITHM:
        shown = alg if isinstance(alg, str) and len(alg) <= 16 else "?"
        raise SsoError("id_token_unsupported_alg", f"The ID token is signed with {shown!r}; only RS256 is accepted, as Entra uses.")
    return "signed with RS256"


def check_signature(token: Jwt, key_for: Callable[[str], PyJWK]) -> str:
    """Verifies with the provider's published key named by `kid`; keys carried in the token
    (`jwk`, `jku`, `x5u`, `x5c`) are never used."""
    kid = token.header.get("kid")
    if not isinstance(kid, str):
        raise _malformed("the header has no 'kid'")
    key = key_for(kid)
    if not _rs256().verify(token.signing_input, key.key, token.signature):
        raise SsoError("id_token_invalid_signature")
    return f"signature verified with published key {kid}"


def check_issuer(token: Jwt, expected: str) -> str:
    if required_claim(token.claims, "iss") != expected:
        raise SsoError("id_token_wrong_issuer", f"The ID token's issuer is not {expected}; check the connection's Entra tenant ID.")
    return f"issuer is {expected}"


def check_audience(token: Jwt, client_id: str) -> str:
    """`aud` must be our client id alone: a token also meant for other audiences is refused."""
    aud = required_claim(token.claims, "aud")
    if aud != client_id and aud != [client_id]:
        raise SsoError("id_token_wrong_audience", f"The ID token was issued to another application, not client ID {client_id}; check the connection's client ID.")
    return f"audience is {client_id}"


def check_expiry(token: Jwt, now: float, leeway: float) -> str:
    if now >= _time(token.claims, "exp") + leeway:
        raise SsoError("id_token_expired")
    return "not expired"


def check_not_before(token: Jwt, now: float, leeway: float) -> str:
    if "nbf" not in token.claims:  # optional in JWT; Entra sends it
        return "no nbf"
    if _time(token.claims, "nbf") > now + leeway:
        raise SsoError("id_token_not_yet_valid")
    return "already valid (nbf)"


def check_issued_at(token: Jwt, now: float, leeway: float) -> str:
    if _time(token.claims, "iat") > now + leeway:
        raise SsoError("id_token_not_yet_valid", "The ID token claims to be issued in the future; check that this server's clock is right.")
    return "issued in the past (iat)"


def check_nonce(token: Jwt, expected: str) -> str:
    """The nonce sent in this sign-in's authorize request, compared in constant time."""
    if not expected:
        raise ValueError("the expected nonce is empty: pass the nonce of the stored sign-in")
    nonce = required_claim(token.claims, "nonce")
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")):
        raise SsoError("id_token_nonce_mismatch")
    return "nonce matches this sign-in"


def check_present(token: Jwt, names: Sequence[str]) -> str:
    for name in names:
        if not isinstance(required_claim(token.claims, name), str):
            raise _malformed(f"the '{name}' claim is not a string")
    return "has " + ", ".join(names)


def validate(token: str, checks: Sequence[Check]) -> dict:
    """The claims, once every check has passed; the first failure is raised as SsoError."""
    parsed = parse_jwt(token)
    for _, check in checks:
        check(parsed)
    return parsed.claims


def diagnose(token: str, checks: Sequence[Check]) -> list[CheckResult]:
    """Every check's outcome, for the admin's test sign-in (which issues no code)."""
    try:
        parsed = parse_jwt(token)
    except SsoError as error:
        return [CheckResult("format", False, error.message, error.code)]
    results = [CheckResult("format", True, "a signed JWT", None)]
    for name, check in checks:
        try:
            results.append(CheckResult(name, True, check(parsed), None))
        except SsoError as error:
            results.append(CheckResult(name, False, error.message, error.code))
    return results
