"""An Entra stand-in for unit tests: our own RSA keys, its discovery and JWKS documents, and
ID tokens minted (or forged) the way an attacker or Entra would."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

HOST = "https://login.example.test"
TENANT = "0ff014fc-8490-4ab7-bf04-c6875829a31f"
OTHER_TENANT = "2ec7d01f-b28f-4f43-a09e-28545b0a28e9"
CLIENT_ID = "6731de76-14a6-49ae-97bc-6eba6914391e"
NONCE = "n0nce-of-this-sign-in"

_KEYS = {kid: rsa.generate_private_key(public_exponent=65537, key_size=2048) for kid in ("key-1", "key-2", "attacker")}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def private_key(kid: str = "key-1"):
    return _KEYS[kid]


def public_pem(kid: str = "key-1") -> bytes:
    return _KEYS[kid].public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_jwk(kid: str) -> dict:
    return {**json.loads(RSAAlgorithm.to_jwk(_KEYS[kid].public_key())), "kid": kid, "use": "sig", "kty": "RSA"}


def issuer(tenant: str = TENANT) -> str:
    return f"{HOST}/{tenant}/v2.0"


def claims(tenant: str = TENANT, **overrides) -> dict:
    now = int(time.time())
    base = {"iss": issuer(tenant), "aud": CLIENT_ID, "tid": tenant, "oid": str(uuid.uuid4()), "sub": "pairwise-sub",
            "iat": now, "nbf": now, "exp": now + 3600, "nonce": NONCE, "ver": "2.0",
            "email": "adele@contoso.com", "name": "Adele Vance"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(header: dict, payload: dict, signer) -> str:
    """A compact JWS with any header and any signature function: how forgeries are made."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64url(signer(signing_input.encode()))}"


def token(payload: dict | None = None, *, kid: str = "key-1", signing_kid: str | None = None, alg: str = "RS256", **header) -> str:
    """A token signed like Entra: RS256 by `signing_kid` (default: the key `kid` names)."""
    return jwt.encode(claims() if payload is None else payload, _KEYS[signing_kid or kid], algorithm=alg,
                      headers={"kid": kid, "typ": "JWT", **header})


def hs256_with_public_key(payload: dict, kid: str = "key-1") -> str:
    """The classic confusion: HMAC-SHA256 keyed with the RSA public key's PEM (PyJWT refuses to make it)."""
    return sign({"alg": "HS256", "typ": "JWT", "kid": kid}, payload,
                lambda data: hmac.new(public_pem(kid), data, hashlib.sha256).digest())


class FakeEntra:
    """Serves discovery documents for TENANT, OTHER_TENANT and `organizations`, and the JWKS."""

    def __init__(self):
        self.published = ["key-1", "key-2"]
        self.fetches: list[str] = []
        self.unknown_tenant_status = 400

    def jwks_uri(self, tenant: str = TENANT) -> str:
        return f"{HOST}/{tenant}/discovery/v2.0/keys"

    def fetch(self, url: str) -> tuple[int, object]:
        self.fetches.append(url)
        tenant, _, rest = url.removeprefix(HOST + "/").partition("/")
        if tenant not in (TENANT, OTHER_TENANT, "organizations"):
            return self.unknown_tenant_status, {
                "error": "invalid_tenant", "error_codes": [90002],
                "error_description": f"AADSTS90002: Tenant '{tenant}' not found."}
        if rest == "v2.0/.well-known/openid-configuration":
            return 200, {
                "issuer": issuer("{tenantid}" if tenant == "organizations" else tenant),
                "jwks_uri": self.jwks_uri(tenant),
                "authorization_endpoint": f"{HOST}/{tenant}/oauth2/v2.0/authorize",
                "token_endpoint": f"{HOST}/{tenant}/oauth2/v2.0/token",
            }
        if rest == "discovery/v2.0/keys":
            return 200, {"keys": [public_jwk(kid) for kid in self.published]}
        return 404, None

    def key_fetches(self) -> int:
        return sum(url.endswith("/keys") for url in self.fetches)
