"""The IdP side of a connection: Entra's entity id, its HTTP-Redirect SSO URL and every signing
certificate, from pasted federation metadata, a metadata URL, or the three fields typed in."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import urlsplit

from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from shared.platform.errors import SsoError
from shared.platform.settings import is_loopback_host
from shared.saml import toolkit_patches  # noqa: F401  (the parser runs the patched XPath)
from shared.saml.certificates import load_certificate

MAX_METADATA_BYTES = 1024 * 1024
_BOM = b"\xef\xbb\xbf"
# Entra's authorities that stand for no one tenant: their metadata's entityID is the literal
# `https://sts.windows.net/{tenantid}/` template, which no response ever carries as its Issuer.
_TENANT_INDEPENDENT = ("common", "organizations", "consumers")
TENANT_INDEPENDENT_MESSAGE = (
    "This is Entra's tenant-independent federation metadata (entityID https://sts.windows.net/{tenantid}/, "
    "SSO at .../common/saml2): no sign-in response can ever match it. Use the enterprise app's own App Federation "
    "Metadata Url (Single sign-on > SAML Certificates), https://login.microsoftonline.com/<tenant id>/federationmetadata/"
    "2007-06/federationmetadata.xml?appid=<app id>, or paste that document.")


@dataclass(frozen=True)
class IdpMetadata:
    entity_id: str
    sso_url: str  # HTTP-Redirect binding, where AuthnRequests go
    certificates: tuple[str, ...]  # PEM; every one a response may be signed with


def parse_idp_metadata(xml: str | bytes, *, allow_loopback: bool = False,
                       now: datetime.datetime | None = None) -> IdpMetadata:
    """Entra's Federation Metadata XML (pasted or fetched; Entra's starts with a UTF-8 BOM)."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    data = data.strip().removeprefix(_BOM).strip()
    if not data or len(data) > MAX_METADATA_BYTES:
        raise SsoError("invalid_metadata", "The metadata is empty or larger than 1 MiB; paste the Federation Metadata XML from the Entra enterprise app.")
    try:
        # python3-saml's parser: no DTDs, no entities, no network.
        idp = OneLogin_Saml2_IdPMetadataParser.parse(data).get("idp", {})
    except Exception:
        raise SsoError("invalid_metadata", "The metadata is not XML without DTDs; paste the Federation Metadata XML from the Entra enterprise app.") from None
    multi = idp.get("x509certMulti", {}).get("signing")
    certificates = multi if multi else [idp["x509cert"]] if idp.get("x509cert") else []
    if not idp.get("entityId") or not certificates:
        raise SsoError("invalid_metadata", "The metadata has no IDPSSODescriptor with an entityID and a signing certificate; paste the Federation Metadata XML from the Entra enterprise app.")
    if "singleSignOnService" not in idp:
        raise SsoError("invalid_metadata", "The metadata has no HTTP-Redirect SingleSignOnService; paste the Federation Metadata XML from the Entra enterprise app.")
    sso_url = _sso_url(idp["singleSignOnService"]["url"], allow_loopback, "invalid_metadata")
    refuse_tenant_independent(idp["entityId"], sso_url, "invalid_metadata")
    return IdpMetadata(entity_id=idp["entityId"], sso_url=sso_url, certificates=_usable(certificates, now))


def idp_from_fields(*, entity_id: str, sso_url: str, certificate: str, allow_loopback: bool = False,
                    now: datetime.datetime | None = None) -> IdpMetadata:
    """The three values copied from Entra's "Set up" section: Microsoft Entra Identifier, Login
    URL and the Base64 certificate."""
    if not isinstance(entity_id, str) or not entity_id.strip() or len(entity_id) > 1024:
        raise SsoError("invalid_field", "`idp_entity_id` must be the Microsoft Entra Identifier, https://sts.windows.net/<tenant id>/.")
    sso_url = _sso_url(sso_url, allow_loopback, "invalid_field")
    refuse_tenant_independent(entity_id.strip(), sso_url, "invalid_metadata")
    return IdpMetadata(entity_id=entity_id.strip(), sso_url=sso_url, certificates=(load_certificate(certificate, now=now),))


def refuse_tenant_independent(entity_id: str, sso_url: str, code: str) -> None:
    """An IdP that is Entra's multi-tenant template rather than one tenant's is unusable: the
    response's Issuer is always the user's tenant, never `{tenantid}`."""
    first_segment = urlsplit(sso_url).path.strip("/").split("/")[0].lower()
    if "{" in entity_id or "}" in entity_id or first_segment in _TENANT_INDEPENDENT:
        raise SsoError(code, TENANT_INDEPENDENT_MESSAGE)


def _usable(certificates: list[str], now: datetime.datetime | None) -> tuple[str, ...]:
    """Every listed certificate, minus expired ones; an error only if none is left."""
    usable, expired = [], None
    for text in dict.fromkeys(certificates):
        try:
            usable.append(load_certificate(text, now=now))
        except SsoError as error:
            if error.code != "certificate_expired":
                raise
            expired = error
    if not usable:
        raise expired
    return tuple(usable)


def _sso_url(url: object, allow_loopback: bool, code: str) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    loopback_http = parts is not None and parts.scheme == "http" and allow_loopback and is_loopback_host(parts.hostname)
    if parts is None or not parts.hostname or (parts.scheme != "https" and not loopback_http) or len(url) > 2048:
        raise SsoError(code, "The IdP's SSO URL must be an https URL: Entra's Login URL, https://login.microsoftonline.com/<tenant id>/saml2.")
    return url

