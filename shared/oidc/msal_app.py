"""The parts of an MSAL confidential client that entra_client.py builds its apps with: caches that
keep nothing (entra_client's docstring says why) and a fresh client assertion per token request.

Imported by entra_client._build when it builds the first app (an instance's warm-up, or the first
sign-in or probe), not by `import function_app`: MSAL, PyJWT and cryptography cost a tenth of a
cold start that registers routes and may never call Entra.
"""
from __future__ import annotations

import base64
import time
import uuid
from collections.abc import MutableMapping
from typing import Callable, Mapping

import jwt
import msal
from cryptography.hazmat.primitives import serialization

ASSERTION_LIFETIME_SECONDS = 300  # one request's worth; Entra allows up to 10 minutes


class KeepNothing(MutableMapping):
    """An http_cache in which MSAL's throttling finds nothing to replay."""

    def __getitem__(self, key):
        raise KeyError(key)

    def __setitem__(self, key, value):
        pass

    def __delitem__(self, key):
        pass

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0


class NoTokenCache(msal.TokenCache):
    def add(self, event, now=None):
        pass


def assertion_signer(certificate: Mapping[str, str], client_id: str, token_endpoint: str) -> Callable[[], str]:
    """A new client assertion for every token request (Entra's certificate credential: RS256 with
    the SHA-1 thumbprint as x5t). MSAL's own would be reused for 9 minutes, and a server that
    enforces RFC 7523's single-use jti refuses the second use."""
    key = serialization.load_pem_private_key(certificate["private_key"].encode(), password=None)
    x5t = base64.urlsafe_b64encode(bytes.fromhex(certificate["thumbprint"])).rstrip(b"=").decode()

    def assertion() -> str:
        now = int(time.time())
        claims = {"aud": token_endpoint, "iss": client_id, "sub": client_id, "jti": str(uuid.uuid4()),
                  "nbf": now, "iat": now, "exp": now + ASSERTION_LIFETIME_SECONDS}
        return jwt.encode(claims, key, algorithm="RS256", headers={"x5t": x5t})
    return assertion
