"""The XML we send and publish is serialized, never formatted: whatever the SP entity id holds, it
is one Issuer text / one entityID attribute meaning exactly itself (issue 10, defect 3). These
build from a SamlConnection directly, past the API's URI check, as a value saved before it would."""
from __future__ import annotations

import base64
import dataclasses
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree

from local.entra_sim import pki
from shared.platform.errors import SsoError
from shared.saml import authn_request_redirect, sp_metadata_xml

SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
INJECTION = 'https://sp.example/x</saml:Issuer><evil xmlns="urn:evil"/><saml:Issuer>y'
HOSTILE = [INJECTION, 'https://sp.example/"onload="x', "urn:contoso:a&b'c<d>", "https://sp.example/&amp;"]


def _request_xml(url: str) -> etree._Element:
    saml_request = parse_qs(urlsplit(url).query)["SAMLRequest"][0]
    return etree.fromstring(zlib.decompress(base64.b64decode(saml_request), -15))


@pytest.mark.parametrize("entity_id", HOSTILE)
def test_authn_request_carries_the_entity_id_as_text(connection, entity_id):
    request = _request_xml(authn_request_redirect(dataclasses.replace(connection, sp_entity_id=entity_id), relay_state="s").url)
    assert [child.tag for child in request] == [f"{SAML}Issuer", f"{SAMLP}NameIDPolicy"]
    assert request.findtext(f"{SAML}Issuer") == entity_id
    assert not list(request.iter("{urn:evil}evil"))


@pytest.mark.parametrize("entity_id", HOSTILE)
def test_sp_metadata_carries_the_entity_id_as_an_attribute(connection, entity_id):
    root = etree.fromstring(sp_metadata_xml(dataclasses.replace(connection, sp_entity_id=entity_id)))
    assert root.get("entityID") == entity_id
    assert [child.tag for child in root] == [f"{MD}SPSSODescriptor"] and not list(root.iter("{urn:evil}evil"))


def test_signed_request_metadata_publishes_the_signing_certificate(connection):
    sp = pki.self_signed("entra-sso SP", days=365)
    signing = dataclasses.replace(connection, sign_requests=True, sp_private_key_pem=sp.key_pem.decode(), sp_certificate_pem=sp.cert_pem.decode())
    descriptor = etree.fromstring(sp_metadata_xml(signing)).find(f"{MD}SPSSODescriptor")
    assert descriptor.get("AuthnRequestsSigned") == "true"
    key = descriptor.find(f"{MD}KeyDescriptor")
    assert key.get("use") == "signing"
    published = key.findtext(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate")
    assert published and published in "".join(sp.cert_pem.decode().splitlines())


@pytest.mark.parametrize("entity_id", ["https://sp.example/\x00", "urn:contoso:\ud800"])
def test_a_value_xml_cannot_carry_is_a_clear_refusal(connection, entity_id):
    config = dataclasses.replace(connection, sp_entity_id=entity_id)
    for build in (lambda: sp_metadata_xml(config), lambda: authn_request_redirect(config, relay_state="s")):
        with pytest.raises(SsoError) as refused:
            build()
        assert refused.value.code == "invalid_field" and refused.value.status == 400
