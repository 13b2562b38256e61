"""Starting a sign-in (the AuthnRequest by HTTP-Redirect) and what the admin gives Entra (SP metadata)."""
from __future__ import annotations

import base64
import dataclasses
import zlib
from urllib.parse import parse_qs, quote_plus, urlsplit

import xmlsec
from lxml import etree

from local.entra_sim import pki, saml_idp
from shared.saml import acs_url, authn_request_redirect, sp_metadata_xml
from tests.saml.entra import ACS_URL, CONNECTION_ID, SP_ENTITY_ID, TENANT_ID

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"


def _query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def _inflate(value: str) -> bytes:
    return zlib.decompress(base64.b64decode(value), -15)


def test_redirect_carries_a_request_the_idp_reads(connection):
    redirect = authn_request_redirect(connection, relay_state="state-123")
    assert redirect.url.startswith(f"https://login.microsoftonline.com/{TENANT_ID}/saml2?")
    query = _query(redirect.url)
    assert query["RelayState"] == "state-123" and "Signature" not in query
    request = saml_idp.parse_authn_request(query["SAMLRequest"])
    assert request == {"id": redirect.request_id, "issuer": SP_ENTITY_ID, "acs_url": ACS_URL,
                       "name_id_policy_format": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"}


def test_each_sign_in_gets_its_own_request_id(connection):
    first = authn_request_redirect(connection, relay_state="a")
    second = authn_request_redirect(connection, relay_state="a")
    assert first.request_id != second.request_id and first.request_id[0].isalpha()


def test_force_authn_and_login_hint(connection):
    redirect = authn_request_redirect(connection, relay_state="s", force_authn=True, login_hint="ada@contoso.com")
    query = _query(redirect.url)
    assert query["login_hint"] == "ada@contoso.com"
    xml = etree.fromstring(_inflate(query["SAMLRequest"]))
    assert xml.get("ForceAuthn") == "true"


def test_signed_requests_are_signed_over_the_query_string(connection):
    sp = pki.self_signed("entra-sso SP", days=365)
    signing = dataclasses.replace(connection, sign_requests=True, sp_private_key_pem=sp.key_pem.decode(),
                                  sp_certificate_pem=sp.cert_pem.decode())
    redirect = authn_request_redirect(signing, relay_state="state-123")
    query = _query(redirect.url)
    assert query["SigAlg"] == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    # The Redirect binding signs SAMLRequest=..&RelayState=..&SigAlg=.. exactly as sent (URL-encoded).
    signed = "&".join(f"{name}={quote_plus(query[name])}" for name in ("SAMLRequest", "RelayState", "SigAlg"))
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_memory(sp.cert_pem, xmlsec.KeyFormat.CERT_PEM)
    context.verify_binary(signed.encode(), xmlsec.Transform.RSA_SHA256, base64.b64decode(query["Signature"]))


def test_sp_metadata_names_the_acs_and_the_entity_id(connection):
    root = etree.fromstring(sp_metadata_xml(connection))
    assert root.get("entityID") == SP_ENTITY_ID
    descriptor = root.find(f"{MD}SPSSODescriptor")
    assert descriptor.get("WantAssertionsSigned") == "true" and descriptor.get("AuthnRequestsSigned") == "false"
    acs = descriptor.find(f"{MD}AssertionConsumerService")
    assert acs.get("Location") == ACS_URL and acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def test_sp_urls_come_from_the_public_base_url(connection):
    """A connection without its own sp_entity_id is known by the one built from SSO_PUBLIC_BASE_URL
    (the served metadata's URL is checked through the admin API, tests/flows/test_saml_pending.py)."""
    assert connection.sp_entity_id is None
    assert etree.fromstring(sp_metadata_xml(connection)).get("entityID") == SP_ENTITY_ID
    assert acs_url(CONNECTION_ID) == ACS_URL


def test_custom_sp_entity_id(connection):
    custom = dataclasses.replace(connection, sp_entity_id="urn:contoso:saas")
    assert etree.fromstring(sp_metadata_xml(custom)).get("entityID") == "urn:contoso:saas"
    request = saml_idp.parse_authn_request(_query(authn_request_redirect(custom, relay_state="s").url)["SAMLRequest"])
    assert request["issuer"] == "urn:contoso:saas" and request["acs_url"] == ACS_URL
