"""What the error page tells the person signing in: what happened and what to do, in their
words. The catalogue's sentence (shared/platform/errors.py) is for the admin or developer who
fixes it (PATCH routes, field names); it stays in the JSON answer and the org's events, which
the page's correlation id leads to. Plain text only: the page escapes it, nothing is Markdown.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UserMessage:
    title: str  # what happened
    advice: str  # what to do


_SETUP = UserMessage("Single sign-on is not set up correctly",
                     "This is not something you can fix. Send the error code and reference below to your IT administrator.")
_RETRY = UserMessage("Your sign-in could not be finished",
                     "Go back to the application and sign in again.")
_OUTAGE = UserMessage("Sign-in is unavailable for a moment",
                      "Nothing is wrong with your account. Wait a minute, then go back to the application and sign in again.")
_NO_ACCESS = UserMessage("Your account cannot sign in here",
                         "Ask your IT administrator to give your account access to this application, then sign in again.")
_BAD_LINK = UserMessage("This sign-in link does not work",
                        "Go back to the application and use its sign-in button. If that brings you here again, tell your IT administrator.")

_BY_CODE: dict[str, UserMessage] = {
    # Start again: the sign-in itself went stale, was used, or was cancelled.
    **dict.fromkeys(("invalid_state", "invalid_callback", "saml_assertion_replayed", "id_token_nonce_mismatch",
                     "saml_in_response_to_mismatch", "saml_expired", "id_token_expired", "interaction_required"), _RETRY),
    "login_expired": UserMessage("Your sign-in took too long", "Sign-ins must finish within 10 minutes. Go back to the application and sign in again."),
    "access_denied": UserMessage("Sign-in was cancelled", "You cancelled the sign-in or declined the permissions. Go back to the application to try again."),
    # Not anyone's fault: retry shortly.
    **dict.fromkeys(("storage_unavailable", "secret_store_unavailable", "temporarily_unavailable", "authority_unreachable",
                     "dns_unavailable", "internal_error"), _OUTAGE),
    # The account is not let in: its admin decides.
    **dict.fromkeys(("user_not_assigned", "tenant_not_allowed", "consent_required", "id_token_wrong_tenant"), _NO_ACCESS),
    "user_not_invited": UserMessage("You have not been invited yet",
                                    "This organization lets in invited people only. Ask its administrator to invite your email address."),
    "sso_not_allowed": UserMessage("Single sign-on is turned off for this organization",
                                   "Go back to the application and sign in another way, or ask your IT administrator."),
    "connection_disabled": UserMessage("Single sign-on is turned off for this organization",
                                       "Go back to the application and sign in another way, or ask your IT administrator."),
    # A link that was not made by the application, or points at nothing.
    **dict.fromkeys(("invalid_request", "not_found", "unknown_organization", "unknown_connection", "method_not_allowed",
                     "payload_too_large", "unsupported_media_type", "saml_response_too_large", "saml_unsolicited_response"), _BAD_LINK),
    "no_sso_connection": UserMessage("Single sign-on is not available for your organization",
                                     "Go back to the application and sign in another way, or ask your IT administrator."),
}


def user_message(code: str) -> UserMessage:
    """Every other code names something in the organization's setup that an admin must fix."""
    return _BY_CODE.get(code, _SETUP)
