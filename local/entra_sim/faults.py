"""Failures tests ask for: AADSTS errors injected per app, user or tenant, and token endpoint
outages (a 500/503 for the next N requests, or a delay before each answer), and a hold: the
next token request waits until the test releases it, so a test can change the world (e.g. stop
storage) at a known point of a sign-in without depending on timing."""

import threading
from dataclasses import dataclass

# Where each injectable error can surface, as Entra raises it.
INJECTABLE = {
    50011: {"authorize", "saml"},        # redirect URI / reply URL mismatch: Entra's page
    50105: {"authorize", "saml"},        # user not assigned: Entra's page, after sign-in
    65001: {"authorize", "token"},       # consent: redirect consent_required / invalid_grant
    90002: {"discovery", "authorize", "token", "saml"},  # tenant not found
    700016: {"authorize", "token", "saml"},              # application not found
    7000215: {"token"},                  # invalid client secret
    7000222: {"token"},                  # expired client secret
    90033: {"authorize"},                # transient: redirect error=server_error
}
TOKEN_FAILURES = {500: 50000, 503: 90033}


class FaultError(ValueError):
    pass


@dataclass
class Injection:
    code: int
    endpoints: set[str]
    client_id: str | None
    user: str | None  # oid or UPN
    tenant_id: str | None
    times: int | None  # None: until cleared

    def matches(self, code, endpoint, client_id, tenant_id, user) -> bool:
        return (code == self.code and endpoint in self.endpoints
                and self.client_id in (None, client_id)
                and self.tenant_id in (None, tenant_id)
                and (self.user is None
                     or (user is not None and self.user in (user.oid, user.upn))))

    def view(self) -> dict:
        return {"code": f"AADSTS{self.code}", "endpoints": sorted(self.endpoints),
                "client_id": self.client_id, "user": self.user, "tenant": self.tenant_id,
                "times": self.times}


def parse_code(code) -> int:
    try:
        number = int(str(code).upper().removeprefix("AADSTS"))
    except ValueError:
        number = None
    if number not in INJECTABLE:
        raise FaultError(f"cannot inject {code!r}; one of "
                         + ", ".join(f"AADSTS{c}" for c in sorted(INJECTABLE)))
    return number


class Hold:
    """The next token request parks here: `reached` is set when it arrives; `release()` lets it on."""

    def __init__(self):
        self.reached = threading.Event()
        self._released = threading.Event()

    def release(self) -> None:
        self._released.set()

    def park(self, timeout: float = 60) -> None:
        self.reached.set()
        self._released.wait(timeout)


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._injections: list[Injection] = []
        self._token_failures: list[int] = []  # statuses still to answer, in order
        self._token_delay = 0.0
        self._hold: Hold | None = None

    def hold_token_endpoint(self) -> Hold:
        with self._lock:
            self._hold = Hold()
            return self._hold

    def inject(self, code, *, client_id=None, user=None, tenant_id=None, endpoint=None,
               times=None) -> dict:
        number = parse_code(code)
        endpoints = INJECTABLE[number] if endpoint is None else {endpoint}
        if not endpoints <= INJECTABLE[number]:
            raise FaultError(f"AADSTS{number} surfaces only at {sorted(INJECTABLE[number])}")
        if times is not None and int(times) < 1:
            raise FaultError("times must be at least 1")
        injection = Injection(number, endpoints, client_id and client_id.lower(),
                              user and user.lower(), tenant_id,
                              None if times is None else int(times))
        with self._lock:
            self._injections.append(injection)
        return injection.view()

    def take(self, code: int, endpoint: str, *, client_id=None, tenant_id=None,
             user=None) -> bool:
        """True when an injection of `code` applies here (and uses up one of its times)."""
        with self._lock:
            for injection in self._injections:
                if injection.matches(code, endpoint, client_id, tenant_id, user):
                    if injection.times is not None:
                        injection.times -= 1
                        if injection.times == 0:
                            self._injections.remove(injection)
                    return True
        return False

    def fail_token_endpoint(self, status: int, times: int = 1) -> None:
        if status not in TOKEN_FAILURES:
            raise FaultError(f"status must be one of {sorted(TOKEN_FAILURES)}")
        with self._lock:
            self._token_failures += [status] * int(times)

    def set_token_delay(self, seconds: float) -> None:
        if seconds < 0:
            raise FaultError("delay must not be negative")
        with self._lock:
            self._token_delay = float(seconds)

    def next_token_fault(self) -> tuple[float, int | None]:
        """The delay before this token request's answer, and the failure status it gets (after
        waiting for a hold's release, if one is set)."""
        with self._lock:
            hold, self._hold = self._hold, None
        if hold:
            hold.park()
        with self._lock:
            status = self._token_failures.pop(0) if self._token_failures else None
            return self._token_delay, status

    def clear(self) -> None:
        with self._lock:
            self._injections.clear()
            self._token_failures.clear()
            self._token_delay = 0.0
            hold, self._hold = self._hold, None
        if hold:
            hold.release()

    def view(self) -> dict:
        with self._lock:
            return {"errors": [i.view() for i in self._injections],
                    "token_endpoint": {"failures": list(self._token_failures),
                                       "delay_seconds": self._token_delay}}
