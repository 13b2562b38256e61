"""Entra's errors become our codes with a sentence saying what to fix; nothing of Entra's
description (which the browser can forge) is echoed."""
from __future__ import annotations

import pytest

from shared.oidc.entra_errors import from_authorize_response, from_token_response
from shared.platform.errors import CATALOGUE

CORRELATION = "5e7a1c3b-0c1d-4a4e-9f0e-2b5b0c6a7d8e"


def description(aadsts: int) -> str:
    return f"AADSTS{aadsts}: Entra's own words. Trace ID: 1d2c3b4a-0000-4000-8000-000000000000 Correlation ID: {CORRELATION} Timestamp: 2026-01-01 00:00:00Z"


@pytest.mark.parametrize("aadsts, error, code", [
    (50011, "invalid_request", "redirect_uri_mismatch"),
    (7000215, "invalid_client", "invalid_client_secret"),
    (7000222, "invalid_client", "client_secret_expired"),
    (700027, "invalid_client", "invalid_client_certificate"),
    (50105, "access_denied", "user_not_assigned"),
    (65001, "invalid_grant", "consent_required"),
    (65004, "access_denied", "access_denied"),
    (700016, "unauthorized_client", "application_not_found"),
    (90002, "invalid_request", "tenant_not_found"),
])
def test_known_aadsts_codes(aadsts, error, code):
    from_redirect = from_authorize_response({"error": error, "error_description": description(aadsts)})
    from_token = from_token_response({"error": error, "error_description": description(aadsts), "error_codes": [aadsts]})
    assert from_redirect.code == from_token.code == code
    assert from_redirect.detail["aadsts"] == aadsts
    assert from_redirect.detail["correlation_id"] == CORRELATION
    assert "Entra's own words" not in from_redirect.message


def test_redirect_uri_mismatch_names_the_exact_uri_to_register(settings):
    error = from_authorize_response({"error": "invalid_request", "error_description": description(50011)})
    assert settings.oidc_redirect_uri == "https://identity.eu.example.com/auth/sso/microsoft/callback"
    assert settings.oidc_redirect_uri in error.message


@pytest.mark.parametrize("error, code", [
    ("access_denied", "access_denied"),
    ("interaction_required", "interaction_required"),
    ("login_required", "interaction_required"),
    ("consent_required", "consent_required"),
    ("temporarily_unavailable", "authority_unreachable"),
])
def test_oauth_errors_without_a_known_aadsts_code(error, code):
    assert from_authorize_response({"error": error}).code == code


def test_a_known_aadsts_code_wins_over_the_oauth_error():
    assert from_authorize_response({"error": "access_denied", "error_description": description(50105)}).code == "user_not_assigned"


def test_any_other_aadsts_code_is_idp_error_carrying_its_number():
    error = from_token_response({"error": "invalid_grant", "error_description": description(70008), "error_codes": [70008]})
    assert error.code == "idp_error"
    assert "AADSTS70008" in error.message
    assert error.detail == {"entra_error": "invalid_grant", "aadsts": 70008, "correlation_id": CORRELATION}


def test_the_known_code_is_found_among_several():
    assert from_token_response({"error": "invalid_client", "error_codes": [50000, 7000222]}).code == "client_secret_expired"


def test_a_forged_description_is_never_echoed():
    forged = {"error": "<script>alert(1)</script>", "error_description": "Call +1-555-0100 <b>now</b> secret=hunter2"}
    error = from_authorize_response(forged)
    assert error.code == "idp_error"
    shown = error.message + repr(error.detail)
    assert "script" not in shown and "555" not in shown and "hunter2" not in shown
    assert error.detail["entra_error"] == "unknown_error"


def test_every_code_it_can_produce_is_in_the_catalogue():
    from shared.oidc import entra_errors
    assert set(entra_errors._BY_AADSTS.values()) | set(entra_errors._BY_OAUTH_ERROR.values()) | {"idp_error"} <= set(CATALOGUE)
