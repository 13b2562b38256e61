"""Single-use things: authorization codes and client-assertion ids (`jti`).

Redemption is atomic under a lock, so two concurrent redemptions of one code give exactly one
token. Redeemed codes are remembered until they would have expired, so a replay gets Entra's
"already redeemed" (AADSTS54005) rather than "invalid code"."""

import secrets
import threading
import time
from dataclasses import dataclass

from .aadsts import EntraError

CODE_LIFETIME = 600  # Entra's codes are short lived: about ten minutes.


@dataclass(frozen=True)
class CodeGrant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    tenant_id: str  # the user's tenant: the token's tid and iss
    oid: str
    scope: str
    session_id: str
    expires: float


class AuthCodes:
    def __init__(self):
        self._lock = threading.Lock()
        self._live: dict[str, CodeGrant] = {}
        self._redeemed: dict[str, float] = {}  # code -> when it would have expired

    def issue(self, **grant) -> str:
        # Entra's codes are long opaque strings starting "1." (v2.0 endpoint).
        code = "1.A" + secrets.token_urlsafe(96)
        with self._lock:
            self._live[code] = CodeGrant(expires=time.time() + CODE_LIFETIME, **grant)
        return code

    def redeem(self, code: str) -> CodeGrant:
        now = time.time()
        with self._lock:
            self._purge(now)
            grant = self._live.pop(code, None)
            if grant is None:
                raise EntraError(54005 if code in self._redeemed else 70000)
            self._redeemed[code] = grant.expires
        if grant.expires < now:
            raise EntraError(70008)
        return grant

    def _purge(self, now: float) -> None:
        for store in (self._live, self._redeemed):
            for code in [c for c, v in store.items()
                         if (v.expires if isinstance(v, CodeGrant) else v) < now - CODE_LIFETIME]:
                del store[code]


class AssertionIds:
    """Each client assertion `jti` is accepted once while the assertion is valid."""

    def __init__(self):
        self._lock = threading.Lock()
        self._seen: dict[str, float] = {}  # jti -> assertion exp

    def first_use(self, jti: str, exp: float) -> bool:
        now = time.time()
        with self._lock:
            self._seen = {j: e for j, e in self._seen.items() if e > now - 600}
            if jti in self._seen:
                return False
            self._seen[jti] = exp
            return True
