"""The simulator's Entra SAML IdP builds what Entra sends (so the SP tests above mean something)."""
from __future__ import annotations

import base64
import html
import zlib

import pytest
from lxml import etree

from local.entra_sim import saml_idp
from tests.saml.entra import ACS_URL, ADA, DS, SAML, SAMLP, SP_ENTITY_ID, TENANT_ID, assertion_of, entra_response, q

REQUEST = (b'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="id6c1c178c166d486687be4aaf5e482730" '
           b'Version="2.0" IssueInstant="2013-03-18T03:28:54.1839884Z"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">'
           b'https://www.contoso.com</Issuer></samlp:AuthnRequest>')


def _deflate(xml: bytes) -> str:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(compressor.compress(xml) + compressor.flush()).decode()


def test_parse_authn_request_both_bindings():
    expected = {"id": "id6c1c178c166d486687be4aaf5e482730", "issuer": "https://www.contoso.com", "acs_url": None,
                "name_id_policy_format": None}
    assert saml_idp.parse_authn_request(_deflate(REQUEST)) == expected
    assert saml_idp.parse_authn_request(base64.b64encode(REQUEST).decode(), deflated=False) == expected


@pytest.mark.parametrize("saml_request", [
    "", "!!!", base64.b64encode(b"not deflated").decode(), _deflate(b"not xml"),
    _deflate(b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + REQUEST),
    _deflate(b"<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol' ID='x'/>"),
    _deflate(REQUEST.replace(b' ID="id6c1c178c166d486687be4aaf5e482730"', b"")),
    _deflate(b"<a>" + b" " * (1024 * 1024) + b"</a>"),  # inflates far beyond any AuthnRequest
], ids=["empty", "not-base64", "not-deflate", "not-xml", "doctype", "not-authnrequest", "no-id", "inflate-bomb"])
def test_parse_authn_request_refuses_garbage(saml_request):
    with pytest.raises(ValueError):
        saml_idp.parse_authn_request(saml_request)


def test_response_shape(idp_key):
    root = etree.fromstring(entra_response(idp_key))
    assert root.tag == q(SAMLP, "Response") and root.get("ID").startswith("_") and root.get("Version") == "2.0"
    assert root.get("Destination") == ACS_URL and root.get("InResponseTo")
    assert root.findtext(q(SAML, "Issuer")) == f"https://sts.windows.net/{TENANT_ID}/"
    assertion = assertion_of(root)
    assert [child.tag for child in assertion][:3] == [q(SAML, "Issuer"), q(DS, "Signature"), q(SAML, "Subject")]
    assert assertion.findtext(f"{q(SAML, 'Conditions')}/{q(SAML, 'AudienceRestriction')}/{q(SAML, 'Audience')}") == SP_ENTITY_ID
    names = [a.get("Name") for a in assertion.iter(q(SAML, "Attribute"))]
    assert saml_idp.CLAIM_TENANT_ID in names and saml_idp.CLAIM_GROUPS in names and saml_idp.CLAIM_GROUPS_LINK not in names


@pytest.mark.parametrize(("sign", "signed"), [("assertion", ["Assertion"]), ("response", ["Response"]), ("both", ["Response", "Assertion"])])
def test_signing_options_place_the_signature_after_the_issuer(idp_key, sign, signed):
    root = etree.fromstring(entra_response(idp_key, sign=sign))
    found = [s.getparent().tag.split("}")[1] for s in root.iter(q(DS, "Signature"))]
    assert found == signed
    for signature in root.iter(q(DS, "Signature")):
        assert signature.getprevious().tag == q(SAML, "Issuer")


def test_idp_initiated_has_no_in_response_to_anywhere(idp_key):
    assert b"InResponseTo" not in entra_response(idp_key, in_response_to=None)


def test_persistent_name_id_is_pairwise(idp_key):
    def name_id(audience, user=ADA):
        return assertion_of(etree.fromstring(entra_response(idp_key, audience=audience, user=user))).findtext(
            f"{q(SAML, 'Subject')}/{q(SAML, 'NameID')}")
    assert name_id(SP_ENTITY_ID) == name_id(SP_ENTITY_ID)
    assert name_id(SP_ENTITY_ID) != name_id("https://other-app.example.com")
    assert name_id(SP_ENTITY_ID) != name_id(SP_ENTITY_ID, {**ADA, "oid": "00000000-0000-4000-8000-000000000002"})


@pytest.mark.parametrize(("name_id_format", "value"), [
    ("emailAddress", ADA["email"]), ("unspecified", ADA["upn"]),
    ("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", ADA["email"]),
])
def test_other_name_id_formats(idp_key, name_id_format, value):
    assertion = assertion_of(etree.fromstring(entra_response(idp_key, name_id_format=name_id_format)))
    assert assertion.findtext(f"{q(SAML, 'Subject')}/{q(SAML, 'NameID')}") == value


@pytest.mark.parametrize(("count", "overage"), [(150, False), (151, True)])
def test_groups_overage_past_150(idp_key, count, overage):
    user = {**ADA, "groups": [f"g{i}" for i in range(count)]}
    xml = entra_response(idp_key, user=user)
    assert (saml_idp.CLAIM_GROUPS_LINK.encode() in xml) == overage
    assert (saml_idp.CLAIM_GROUPS.encode() in xml) != overage


def test_federation_metadata(idp_key, rollover_key):
    xml = saml_idp.federation_metadata_xml(tenant_id=TENANT_ID, authority="https://login.microsoftonline.com/",
                                           signing_certs_pem=[idp_key.cert_pem, rollover_key.cert_pem], app_id="app")
    assert xml.startswith(b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>')
    root = etree.fromstring(xml[3:])
    md = "{urn:oasis:names:tc:SAML:2.0:metadata}"
    assert root.get("entityID") == f"https://sts.windows.net/{TENANT_ID}/"
    idp = root.find(f"{md}IDPSSODescriptor")
    certificates = [c.text for c in idp.iter(q(DS, "X509Certificate"))]
    assert certificates == [idp_key.cert_b64, rollover_key.cert_b64]
    services = {(s.tag.split("}")[1], s.get("Binding").rsplit(":", 1)[1]): s.get("Location") for s in idp
                if s.get("Binding")}
    saml2 = f"https://login.microsoftonline.com/{TENANT_ID}/saml2"
    assert services == {("SingleLogoutService", "HTTP-Redirect"): saml2, ("SingleSignOnService", "HTTP-Redirect"): saml2,
                        ("SingleSignOnService", "HTTP-POST"): saml2}


def test_auto_post_form_escapes_everything():
    form = saml_idp.auto_post_form('https://sp.example.com/acs?a=1&b="x"', "PHNhbWw+", '"><script>alert(1)</script>')
    assert "<script>alert(1)" not in form
    assert 'action="https://sp.example.com/acs?a=1&amp;b=&quot;x&quot;"' in form
    assert f'value="{html.escape(chr(34) + "><script>alert(1)</script>")}"' in form
    assert 'name="RelayState"' not in saml_idp.auto_post_form("https://sp.example.com/acs", "PHNhbWw+", None)
