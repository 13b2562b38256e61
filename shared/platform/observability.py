"""Structured logs with a correlation id per request, and a line per sign-in outcome.

Log lines are JSON objects on the `entra_sso` logger (Application Insights indexes them as
custom dimensions). Callers pass only what is safe to log: ids, codes and outcomes, never a
secret, code, token or assertion.
"""
from __future__ import annotations

import contextvars
import json
import logging
import secrets

logger = logging.getLogger("entra_sso")

_correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="")
_organization: contextvars.ContextVar[str | None] = contextvars.ContextVar("organization", default=None)
_actor: contextvars.ContextVar[str | None] = contextvars.ContextVar("actor", default=None)


def new_correlation_id() -> str:
    """Starts a request's context: a new correlation id, and no organization yet."""
    value = secrets.token_hex(8)
    _correlation_id.set(value)
    _organization.set(None)
    _actor.set(None)
    return value


def set_request_organization(slug: str) -> None:
    """The org this request is about, once the caller is allowed to act on it: refused input
    from then on is recorded in that org's events."""
    _organization.set(slug)


def request_organization() -> str | None:
    return _organization.get()


def set_request_actor(actor: str) -> None:
    """Who makes this request's changes when it is not an API key's holder (the setup portal:
    `portal`); events recorded while serving it carry it in `detail.actor`."""
    _actor.set(actor)


def request_actor() -> str | None:
    return _actor.get()


def correlation_id() -> str:
    return _correlation_id.get()


def log(level: int, message: str, **fields) -> None:
    logger.log(level, json.dumps({"message": message, "correlation_id": correlation_id(), **fields}, default=str))


def log_sign_in(outcome: str, error: str | None, protocol: str | None) -> None:
    """One line per finished sign-in: Application Insights counts outcomes by error code from
    these (docs/deploy.md has the query)."""
    log(logging.INFO, "sign_in", outcome=outcome, error=error, protocol=protocol)
