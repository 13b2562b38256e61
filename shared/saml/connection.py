"""A SAML connection as the protocol code needs it, and the service-provider URLs derived from it.

The URLs are built from SSO_PUBLIC_BASE_URL (passed in as `base_url`), never from the request's
Host header: they are what the admin registers in Entra and what a response must be addressed to.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from shared.saml.entra_claims import MAPPABLE_FIELDS


def default_sp_entity_id(base_url: str, connection_id: str) -> str:
    return f"{base_url}/auth/sso/saml/{connection_id}"


def acs_url(base_url: str, connection_id: str) -> str:
    return f"{default_sp_entity_id(base_url, connection_id)}/acs"


@dataclass(frozen=True)
class SamlConnection:
    """One SAML connection's settings.

    `idp_certificates` holds every certificate the IdP may sign with (PEM), two during a
    rollover. `attribute_mapping` maps profile fields (see entra_claims.MAPPABLE_FIELDS) to the
    attribute names that carry them when they are not Entra's defaults. `sign_requests` signs
    AuthnRequests with the SP key pair, which is then required.
    """

    connection_id: str
    idp_entity_id: str | None  # None (with no SSO URL and no certificates): pending, SP side only
    idp_sso_url: str | None
    idp_certificates: tuple[str, ...]
    sp_entity_id: str | None = None
    allow_idp_initiated: bool = False
    attribute_mapping: Mapping[str, str] = field(default_factory=dict)
    sign_requests: bool = False
    sp_private_key_pem: str | None = field(default=None, repr=False)
    sp_certificate_pem: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "idp_certificates", tuple(self.idp_certificates))
        object.__setattr__(self, "attribute_mapping", MappingProxyType(dict(self.attribute_mapping)))
        if self.idp_entity_id is None:
            if self.idp_sso_url is not None or self.idp_certificates:
                raise ValueError("a pending SAML connection (no IdP entity id) has no IdP SSO URL or certificates either")
        elif not self.idp_certificates:
            raise ValueError("a SAML connection needs at least one IdP signing certificate")
        unknown = set(self.attribute_mapping) - set(MAPPABLE_FIELDS)
        if unknown:
            raise ValueError(f"attribute_mapping keys must be among {sorted(MAPPABLE_FIELDS)}, got {sorted(unknown)}")
        if self.sign_requests and not (self.sp_private_key_pem and self.sp_certificate_pem):
            raise ValueError("sign_requests needs the SP private key and certificate")

    @property
    def pending(self) -> bool:
        return self.idp_entity_id is None

    def entity_id(self, base_url: str) -> str:
        return self.sp_entity_id or default_sp_entity_id(base_url, self.connection_id)

    def acs_url(self, base_url: str) -> str:
        return acs_url(base_url, self.connection_id)
