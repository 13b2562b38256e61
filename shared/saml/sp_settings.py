"""python3-saml settings for a connection: strict, assertions signed, no SHA-1, the IdP trusted
only through its listed certificates (never a fingerprint, never the certificate a response
carries in its KeyInfo), SP URLs from SSO_PUBLIC_BASE_URL.

Settings objects are cached: building one re-validates and re-formats every certificate, and
the toolkit only reads them afterwards.
"""
from __future__ import annotations

import functools
import os

from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.errors import OneLogin_Saml2_Error
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from shared.platform.errors import SsoError
from shared.saml import toolkit_patches  # noqa: F401  (wherever the toolkit runs, it runs patched)
from shared.saml.connection import SamlConnection


def toolkit_settings(config: SamlConnection, base_url: str, *, with_sp_key: bool = False, sp_only: bool = False) -> OneLogin_Saml2_Settings:
    """The toolkit's settings. The SP key is left out unless asked for (signing AuthnRequests)
    or the connection signs its requests (the toolkit then refuses settings without it): the ACS
    never decrypts, and refuses an encrypted assertion before the toolkit sees it. A pending
    connection (no IdP yet) has settings only for `sp_only` (its SP metadata); anything that
    needs the IdP is `connection_pending`."""
    if config.pending and not sp_only:
        raise SsoError("connection_pending")
    key = config.sp_private_key_pem if with_sp_key or config.sign_requests else None
    return _cached(config.entity_id(base_url), config.acs_url(base_url), config.idp_entity_id, config.idp_sso_url,
                   config.idp_certificates, config.sign_requests, config.sp_certificate_pem, key)


@functools.lru_cache(maxsize=512)
def _cached(sp_entity_id, acs_url, idp_entity_id, idp_sso_url, idp_certificates, sign_requests, sp_cert, sp_key):
    settings = {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": sp_entity_id,
            "assertionConsumerService": {"url": acs_url, "binding": OneLogin_Saml2_Constants.BINDING_HTTP_POST},
            # Unspecified: Entra sends the NameID its "Unique User Identifier" setting names.
            "NameIDFormat": OneLogin_Saml2_Constants.NAMEID_UNSPECIFIED,
            "x509cert": sp_cert or "",
            "privateKey": sp_key or "",
        },
        "idp": {
            "entityId": idp_entity_id,
            "singleSignOnService": {"url": idp_sso_url, "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT},
            # x509cert too, only so the toolkit never looks for an idp.crt file when asked for it.
            "x509cert": idp_certificates[0],
            "x509certMulti": {"signing": list(idp_certificates)},
        } if idp_entity_id is not None else {},
        "security": {
            "authnRequestsSigned": sign_requests,
            "signatureAlgorithm": OneLogin_Saml2_Constants.RSA_SHA256,
            "digestAlgorithm": OneLogin_Saml2_Constants.SHA256,
            "wantAssertionsSigned": True,
            "wantMessagesSigned": False,  # Entra signs the assertion by default, not the response
            "wantAssertionsEncrypted": False,
            "wantNameId": True,
            "wantNameIdEncrypted": False,
            "wantAttributeStatement": True,
            "requestedAuthnContext": False,  # Entra decides how the user authenticates (MFA, passwordless)
            "rejectDeprecatedAlgorithm": True,
            "allowRepeatAttributeName": False,
            "allowSingleLabelDomains": False,
        },
    }
    try:
        # Where the toolkit looks for key and certificate files when a setting is empty: our own
        # package folder, which has none, rather than a certs/ folder next to site-packages.
        return OneLogin_Saml2_Settings(settings, custom_base_path=os.path.dirname(__file__), sp_validation_only=idp_entity_id is None)
    except OneLogin_Saml2_Error as error:
        raise SsoError("invalid_metadata", f"The connection's SAML settings are not usable ({error}); correct the IdP and SP fields of the connection.") from None
