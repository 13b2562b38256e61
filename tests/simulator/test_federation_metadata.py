"""Federation metadata: Entra's document, BOM first, every SAML signing certificate listed."""

from lxml import etree

from tests.simulator.flows import CONTOSO

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
FABRIKAM_APP = "d1fcf065-0101-4611-b123-25c6d18eacdf"  # an OIDC app: no SAML metadata


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


def test_app_metadata_by_appid_and_unknown_appid(sim, http):
    app = sim.add_saml_app(CONTOSO, {"identifier": "https://md.example/sp",
                                     "reply_url": "https://md.example/acs"})
    ok = http.get(app["metadata_url"])
    assert ok.status_code == 200 and ok.content.startswith(b"\xef\xbb\xbf")
    unknown = http.get(f"{sim.authority}/{CONTOSO}/federationmetadata/2007-06/"
                       "federationmetadata.xml", params={"appid": FABRIKAM_APP})
    assert unknown.status_code == 400 and unknown.json()["error_codes"] == [700016]


def test_tenant_independent_metadata_names_the_template_issuer(sim, http):
    """Entra's /common document: an entityID no response ever carries, SSO at /common/saml2."""
    response = http.get(f"{sim.authority}/common/federationmetadata/2007-06/federationmetadata.xml")
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf<?xml")
    root = etree.fromstring(response.content[3:])
    assert root.get("entityID") == "https://sts.windows.net/{tenantid}/"
    sso = root.find(f"{{{MD}}}IDPSSODescriptor/{{{MD}}}SingleSignOnService")
    assert sso.get("Location") == f"{sim.authority}/common/saml2"
    assert root.findall(f"{{{MD}}}IDPSSODescriptor/{{{MD}}}KeyDescriptor")
