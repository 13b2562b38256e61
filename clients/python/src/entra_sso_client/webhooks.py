"""Verifying a notification webhook: `Entra-SSO-Signature: t=<unix seconds>,v1=<hex>` where each
v1 is HMAC-SHA256 of "<t>.<raw body>" keyed by the org's `notification_webhook_secret`. Several
v1 values may come (a secret being rolled over); one matching is enough. Deduplicate deliveries
on the `Entra-SSO-Delivery` header, which every retry of one notification repeats."""
from __future__ import annotations

import hashlib
import hmac
import time

from .errors import InvalidSignatureError

SIGNATURE_HEADER = "Entra-SSO-Signature"
DELIVERY_HEADER = "Entra-SSO-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300
_HEX = frozenset("0123456789abcdef")


def _parse(header: str) -> tuple[int, list[str]]:
    stamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            stamps.append(value)
        elif name == "v1" and value and all(c in _HEX for c in value.lower()):
            signatures.append(value.lower())  # only hex: compare_digest refuses non-ASCII text
    if len(stamps) != 1 or not (stamps[0].isascii() and stamps[0].isdigit()) or not signatures:
        raise InvalidSignatureError("the header must read t=<unix seconds>,v1=<hex> (one t, one or more v1)")
    return int(stamps[0]), signatures


def verify_webhook(body: bytes, signature_header: str, secret: str, *, tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
                   now: float | None = None) -> int:
    """Raises InvalidSignatureError unless one v1 is the signature of `body` (the raw bytes, as
    received) with `secret` and `t` is within `tolerance_seconds` of `now`; answers `t`."""
    timestamp, signatures = _parse(signature_header)
    if abs((time.time() if now is None else now) - timestamp) > tolerance_seconds:
        raise InvalidSignatureError("the signature's timestamp is outside the tolerance: a replay, or a clock far off")
    expected = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    matched = False
    for candidate in signatures:  # every one compared, each in constant time
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise InvalidSignatureError("no v1 signature matches this body and secret")
    return timestamp
