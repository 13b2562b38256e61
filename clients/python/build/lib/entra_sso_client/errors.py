"""Typed errors: every refusal of the service carries its stable code (the README's error table),
the HTTP status and the correlation id that finds its event in the org's audit trail."""
from __future__ import annotations


class EntraSsoError(Exception):
    """The service refused the request, or could not be reached (`status` 0)."""

    def __init__(self, code: str, message: str, status: int, correlation_id: str | None = None) -> None:
        super().__init__(f"{code} ({status}): {message}" + (f" [correlation id {correlation_id}]" if correlation_id else ""))
        self.code = code
        self.message = message
        self.status = status
        self.correlation_id = correlation_id


class BadRequestError(EntraSsoError):
    """400 (and 413/415): the request needs fixing; `message` says how."""


class AuthenticationError(EntraSsoError):
    """401 `unauthorized`: no API key, a wrong one, or a revoked one."""


class PermissionDeniedError(EntraSsoError):
    """403 `forbidden`: the route needs the global key."""


class NotFoundError(EntraSsoError):
    """404: no such resource (or another organization's, to an organization key)."""


class MethodNotAllowedError(EntraSsoError):
    """405 `method_not_allowed`."""


class ConflictError(EntraSsoError):
    """409: `conflict` (GET again and retry with the new etag), `already_exists`, `domain_taken`, ..."""


class UnavailableError(EntraSsoError):
    """5xx, or the service unreachable (`code` `unreachable`, `status` 0): nothing was changed; retry."""


class InvalidSignatureError(Exception):
    """A webhook's Entra-SSO-Signature does not verify (wrong secret, altered body, or too old)."""


_BY_STATUS: dict[int, type[EntraSsoError]] = {
    400: BadRequestError, 413: BadRequestError, 415: BadRequestError, 401: AuthenticationError,
    403: PermissionDeniedError, 404: NotFoundError, 405: MethodNotAllowedError, 409: ConflictError,
}


def error_for(code: str, message: str, status: int, correlation_id: str | None) -> EntraSsoError:
    kind = _BY_STATUS.get(status, UnavailableError if status >= 500 or status == 0 else EntraSsoError)
    return kind(code, message, status, correlation_id)
