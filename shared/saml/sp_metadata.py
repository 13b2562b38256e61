"""The SP metadata of a connection (served at /auth/sso/saml/{connection}/metadata): what Entra's
"Upload metadata file" reads to fill in the Identifier and the Reply URL.

Built with lxml, not with python3-saml's builder, which formats the entity id into its template
as a string (a `"` in it broke the document); the toolkit's schema check still runs on the result."""
from __future__ import annotations

import time

from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from shared.platform.errors import SsoError
from shared.saml.connection import SamlConnection
from shared.saml.sp_settings import toolkit_settings

VALID_SECONDS = 2 * 24 * 3600  # as the toolkit's builder: Entra re-reads metadata URLs it imports
CACHE_DURATION = "PT604800S"


def _md(name: str) -> str:
    return f"{{{C.NS_MD}}}{name}"


def _flag(value) -> str:
    return "true" if value else "false"


def _build(sp: dict, security: dict, certificate: str | None) -> bytes:
    root = etree.Element(_md("EntityDescriptor"), nsmap={"md": C.NS_MD})
    root.set("validUntil", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + VALID_SECONDS)))
    root.set("cacheDuration", CACHE_DURATION)
    root.set("entityID", sp["entityId"])
    descriptor = etree.SubElement(root, _md("SPSSODescriptor"), AuthnRequestsSigned=_flag(security["authnRequestsSigned"]),
                                  WantAssertionsSigned=_flag(security["wantAssertionsSigned"]), protocolSupportEnumeration=C.NS_SAMLP)
    if certificate:
        key = etree.SubElement(descriptor, _md("KeyDescriptor"), use="signing")
        data = etree.SubElement(etree.SubElement(key, f"{{{C.NS_DS}}}KeyInfo", nsmap={"ds": C.NS_DS}), f"{{{C.NS_DS}}}X509Data")
        etree.SubElement(data, f"{{{C.NS_DS}}}X509Certificate").text = OneLogin_Saml2_Utils.format_cert(certificate, False)
    etree.SubElement(descriptor, _md("NameIDFormat")).text = sp["NameIDFormat"]
    acs = sp["assertionConsumerService"]
    etree.SubElement(descriptor, _md("AssertionConsumerService"), Binding=acs["binding"], Location=acs["url"], index="1")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def sp_metadata_xml(config: SamlConnection, base_url: str) -> bytes:
    settings = toolkit_settings(config, base_url, sp_only=True)  # a pending connection has its SP metadata too
    try:
        metadata = _build(settings.get_sp_data(), settings.get_security_data(), settings.get_sp_cert())
    except (ValueError, UnicodeError):  # a value saved before sp_entity_id was checked as a URI
        raise SsoError("invalid_field", "The connection's `sp_entity_id` holds characters XML cannot carry; "
                                        "set it to an absolute URI with PATCH.") from None
    errors = settings.validate_metadata(metadata)
    if errors:  # built from our own settings: a bug, not bad input
        raise RuntimeError(f"SP metadata failed the schema check: {errors}")
    return metadata
