"""SAML 2.0 service provider for Entra connections, on python3-saml (strict). The facade.

One module per message or job: idp_metadata (+ metadata_fetch, certificates) for the IdP side,
authn_request, sp_metadata and response for the messages, sp_settings for the toolkit settings,
signature_policy, entra_claims, entra_status and toolkit_errors for what python3-saml leaves to
us, toolkit_patches for the one place python3-saml is patched. The facade reads the stamp's
settings (SSO_PUBLIC_BASE_URL, SSO_ALLOW_LOOPBACK_METADATA, SSO_CA_BUNDLE); the modules take them
as arguments. Every failure is an SsoError with a stable code.

Importing the facade is cheap: the SAML stack (python3-saml, xmlsec, lxml) loads on the first
call that needs it, so an instance serving only OIDC and the admin API never pays for it.
"""
from __future__ import annotations

import datetime

from shared.platform.errors import SsoError
from shared.platform.settings import get_settings
from shared.saml import connection as _connection
from shared.saml.connection import SamlConnection

__all__ = ["SamlConnection", "acs_url", "authn_request_redirect", "load_idp", "sp_metadata_xml", "validate_response"]


def load_idp(*, metadata_url: str | None = None, metadata_xml: str | bytes | None = None, entity_id: str | None = None,
             sso_url: str | None = None, certificate: str | None = None):
    """The IdP (idp_metadata.IdpMetadata) from exactly one source: the App Federation Metadata
    Url, the Federation Metadata XML, or entity id + SSO URL + certificate. Codes: invalid_metadata, metadata_unreachable,
    invalid_certificate, certificate_expired, invalid_field, missing_field."""
    from shared.saml.idp_metadata import idp_from_fields, parse_idp_metadata  # the SAML stack loads on first SAML use
    from shared.saml.metadata_fetch import fetch_metadata  # off the cold-start path too: ~15 ms there (bench.cold_import)

    settings = get_settings()
    manual = (entity_id, sso_url, certificate)
    sources = (metadata_url is not None) + (metadata_xml is not None) + any(v is not None for v in manual)
    if sources != 1:
        raise SsoError("invalid_field", "Give one of `idp_metadata_url`, `idp_metadata_xml`, or `idp_entity_id` + `idp_sso_url` + `idp_certificate`.")
    if metadata_url is not None:
        metadata_xml = fetch_metadata(metadata_url, allow_loopback=settings.allow_loopback_metadata, ca_bundle=settings.ca_bundle)
    if metadata_xml is not None:
        return parse_idp_metadata(metadata_xml, allow_loopback=settings.allow_loopback_metadata)
    if not all(manual):
        raise SsoError("missing_field", "Give all three of `idp_entity_id`, `idp_sso_url` and `idp_certificate` (Microsoft Entra Identifier, Login URL, Certificate (Base64)).")
    return idp_from_fields(entity_id=entity_id, sso_url=sso_url, certificate=certificate,
                           allow_loopback=settings.allow_loopback_metadata)


def authn_request_redirect(config: SamlConnection, *, relay_state: str, force_authn: bool = False,
                           login_hint: str | None = None):
    """The HTTP-Redirect URL that starts a sign-in, and the request id to store with the login."""
    from shared.saml.authn_request import authn_request_redirect as _authn_request_redirect  # the SAML stack loads on first SAML use

    return _authn_request_redirect(config, get_settings().public_base_url, relay_state=relay_state,
                                   force_authn=force_authn, login_hint=login_hint)


def validate_response(config: SamlConnection, saml_response_b64: str, *, expected_request_id: str | None,
                      now: datetime.datetime | None = None):
    """The ACS check of a posted SAMLResponse. `expected_request_id` is the id stored with the
    login state the RelayState points at, or None when there is none (IdP-initiated). The caller
    then inserts `assertion_id` into the replay cache until `not_on_or_after`."""
    from shared.saml.response import validate_response as _validate_response  # the SAML stack loads on first SAML use

    return _validate_response(config, saml_response_b64, base_url=get_settings().public_base_url,
                              expected_request_id=expected_request_id, now=now)


def sp_metadata_xml(config: SamlConnection) -> bytes:
    from shared.saml.sp_metadata import sp_metadata_xml as _sp_metadata_xml  # the SAML stack loads on first SAML use

    return _sp_metadata_xml(config, get_settings().public_base_url)


def acs_url(connection_id: str) -> str:
    return _connection.acs_url(get_settings().public_base_url, connection_id)
