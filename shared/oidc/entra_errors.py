"""Entra's sign-in and token errors as our stable codes, each with a sentence saying what to fix.

Inputs come from two places: the authorize redirect (`error`, `error_description` in the
callback's query, which anyone can forge) and the token endpoint's JSON (`error`, `error_codes`).
So our messages are our own sentences; from Entra's text only the AADSTS number and a GUID
correlation id are kept (in `detail`, for support), never the description itself.
"""
from __future__ import annotations

import re
from typing import Mapping

from shared.platform.errors import SsoError
from shared.platform.settings import get_settings

_BY_AADSTS = {
    50011: "redirect_uri_mismatch",
    7000215: "invalid_client_secret",
    7000222: "client_secret_expired",
    700027: "invalid_client_certificate",  # client assertion signed by a certificate the app does not list
    50105: "user_not_assigned",
    65001: "consent_required",
    65004: "access_denied",  # the user declined consent
    700016: "application_not_found",
    90002: "tenant_not_found",
    70021: "federated_credential_mismatch",  # a federated assertion no credential of the app trusts
    700211: "federated_credential_mismatch",  # ... its issuer
    700212: "federated_credential_mismatch",  # ... its audience
    700213: "federated_credential_mismatch",  # ... its subject
}
_BY_OAUTH_ERROR = {
    "access_denied": "access_denied",
    "consent_required": "consent_required",
    "interaction_required": "interaction_required",
    "login_required": "interaction_required",
    "temporarily_unavailable": "authority_unreachable",
    "server_error": "authority_unreachable",
}
_AADSTS = re.compile(r"\bAADSTS(\d{1,9})\b")
_OAUTH_ERROR = re.compile(r"[a-z_]{1,64}")
_CORRELATION_ID = re.compile(r"Correlation ID: ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def _message(code: str, aadsts: int | None, error: str) -> str | None:
    if code == "redirect_uri_mismatch":
        return (f"Entra refused the redirect URI: add {get_settings().oidc_redirect_uri} as a Web redirect URI "
                "of the app registration (Authentication > Web) in Entra.")
    if code == "idp_error":
        if aadsts is None:
            return f"Entra refused the sign-in ({error}); check the app registration and retry."
        return (f"Entra refused the sign-in with AADSTS{aadsts}; look it up at "
                f"https://login.microsoftonline.com/error?code={aadsts} and fix the app registration accordingly.")
    if code == "authority_unreachable":
        return "Entra is temporarily unable to complete the sign-in; retry shortly."
    return None  # the catalogue's sentence


def entra_error(error: object, description: object = None, error_codes: object = None, correlation_id: object = None) -> SsoError:
    """Our SsoError for an Entra error: a known AADSTS code first, then the OAuth `error`, else `idp_error`."""
    numbers = [n for n in error_codes if isinstance(n, int)] if isinstance(error_codes, list) else []
    if isinstance(description, str):
        numbers += [int(n) for n in _AADSTS.findall(description)]
        if correlation_id is None and (found := _CORRELATION_ID.search(description)):
            correlation_id = found.group(1)
    aadsts = next((n for n in numbers if n in _BY_AADSTS), numbers[0] if numbers else None)
    error = error if isinstance(error, str) and _OAUTH_ERROR.fullmatch(error) else "unknown_error"
    code = _BY_AADSTS.get(aadsts) or _BY_OAUTH_ERROR.get(error) or "idp_error"
    detail = {"entra_error": error, "aadsts": aadsts}
    if isinstance(correlation_id, str) and _CORRELATION_ID.fullmatch(f"Correlation ID: {correlation_id}"):
        detail["correlation_id"] = correlation_id
    return SsoError(code, _message(code, aadsts, error), detail=detail)


def from_authorize_response(params: Mapping[str, str]) -> SsoError:
    """The error Entra redirected back with (`error`, `error_description` of the callback query),
    marked as such in `detail`: anyone can write it into a callback URL."""
    err = entra_error(params.get("error"), params.get("error_description"))
    err.detail["via"] = "authorize_redirect"
    return err


def from_token_response(result: Mapping) -> SsoError:
    """The error of a token endpoint answer (MSAL's result dict: `error`, `error_codes`, ...)."""
    return entra_error(result.get("error"), result.get("error_description"), result.get("error_codes"), result.get("correlation_id"))
