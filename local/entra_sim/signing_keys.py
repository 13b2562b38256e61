"""Token signing keys, shared by all tenants as Entra's are.

Entra publishes a new key in the JWKS before signing with it and keeps retired keys there for a
while, so clients holding tokens signed by the old key still validate them. `rotate` adds a key
and makes it the signing key; older keys stay published until `retire` drops them."""

import threading

from cryptography.hazmat.primitives.asymmetric import rsa

from . import pki

KEY_CERT_DAYS = 5 * 365


def _int_b64(n: int) -> str:
    return pki.b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class SigningKeys:
    def __init__(self):
        self._lock = threading.Lock()
        self._keys = [self._new()]  # signing key first

    @staticmethod
    def _new() -> pki.KeyPair:
        # Entra's token signing certificates are self-signed with this subject.
        return pki.self_signed("accounts.accesscontrol.windows.net", days=KEY_CERT_DAYS)

    @property
    def current(self) -> pki.KeyPair:
        with self._lock:
            return self._keys[0]

    def rotate(self) -> pki.KeyPair:
        new = self._new()
        with self._lock:
            self._keys.insert(0, new)
        return new

    def retire(self) -> list[str]:
        """Unpublishes every key but the signing one; returns the retired kids."""
        with self._lock:
            retired, self._keys = self._keys[1:], self._keys[:1]
        return [k.x5t for k in retired]

    def published(self) -> list[pki.KeyPair]:
        with self._lock:
            return list(self._keys)

    def jwks(self, issuer: str) -> dict:
        """Entra's JWKS shape: every key carries `issuer` (the tenant's, or the template)."""
        with self._lock:
            keys = list(self._keys)
        return {"keys": [self._jwk(k, issuer) for k in keys]}

    @staticmethod
    def _jwk(pair: pki.KeyPair, issuer: str) -> dict:
        public: rsa.RSAPublicNumbers = pair.key.public_key().public_numbers()
        return {"kty": "RSA", "use": "sig", "kid": pair.x5t, "x5t": pair.x5t,
                "n": _int_b64(public.n), "e": _int_b64(public.e), "x5c": [pair.cert_b64],
                "issuer": issuer}
