"""Federation metadata: Entra's document, BOM first, every SAML signing certificate listed."""

from lxml import etree

from tests.simulator.flows import CONTOSO

MD = "urn:oasis:names:tc:SAML:2.0:metadata"


def test_metadata_starts_with_the_bom_and_lists_the_tenant_signing_certificate(sim, http):
    response = http.get(f"{sim.authority}/contoso.com/federationmetadata/2007-06/"
                        "federationmetadata.xml")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf<?xml")
    root = etree.fromstring(response.content[3:])
    assert root.get("entityID") == f"https://sts.windows.net/{CONTOSO}/"
    sso = root.find(f"{{{MD}}}IDPSSODescriptor/{{{MD}}}SingleSignOnService")
    assert sso.get("Location") == f"{sim.authority}/{CONTOSO}/saml2"
    certs = root.findall(f"{{{MD}}}IDPSSODescriptor/{{{MD}}}KeyDescriptor")
    assert len(certs) == len(sim.tenant_view(CONTOSO)["saml_certificates"])


def test_metadata_of_an_unknown_tenant_is_aadsts90002(sim, http):
    response = http.get(f"{sim.authority}/nowhere.example/federationmetadata/2007-06/"
                        "federationmetadata.xml")
    assert response.status_code == 400 and response.json()["error_codes"] == [90002]
