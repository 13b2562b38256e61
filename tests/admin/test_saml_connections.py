"""SAML connections through the admin API: IdP metadata that can never match a response is
refused when it is saved. Real Entra documents are read from ../shared/entra-artefacts."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.flows.helpers import CONTOSO

ARTEFACTS = Path(__file__).resolve().parents[2].parent / "shared" / "entra-artefacts"
TEMPLATE_ISSUER = "https://sts.windows.net/{tenantid}/"


def artefact(name: str) -> str:
    path = ARTEFACTS / name
    if not path.exists():
        pytest.skip(f"{path} is not on this machine (see ../shared/entra-artefacts/SOURCES.md)")
    return path.read_bytes().decode("utf-8-sig")


def assert_refused_as_tenant_independent(response) -> None:
    assert (response.status_code, response.json()["error"]) == (400, "invalid_metadata"), response.text
    assert "App Federation Metadata Url" in response.json()["error_description"]


def test_entras_tenant_independent_metadata_url_is_refused(stack, admin, new_org):
    org = new_org()
    url = f"{stack.simulator.authority}/common/federationmetadata/2007-06/federationmetadata.xml"
    response = admin.post(f"/api/organizations/{org}/connections", json={"protocol": "saml", "idp_metadata_url": url})
    assert_refused_as_tenant_independent(response)
    assert admin.get(f"/api/organizations/{org}/connections").json()["items"] == []


def test_real_tenant_independent_metadata_pasted_is_refused(stack, admin, new_org):
    org = new_org()
    xml = artefact("erikgrootoonk-saml-tenant-independent-federationmetadata.xml")
    assert TEMPLATE_ISSUER in xml
    response = admin.post(f"/api/organizations/{org}/connections", json={"protocol": "saml", "idp_metadata_xml": xml})
    assert_refused_as_tenant_independent(response)
    assert admin.get(f"/api/organizations/{org}/connections").json()["items"] == []


def test_a_real_apps_own_metadata_is_accepted(stack, admin, new_org):
    """The control: a real enterprise app's App Federation Metadata (one tenant) is saved."""
    org = new_org()
    xml = artefact("ggtristams-samlsso-app-federationmetadata.xml")
    response = admin.post(f"/api/organizations/{org}/connections", json={"protocol": "saml", "idp_metadata_xml": xml})
    assert response.status_code == 201, response.text
    assert response.json()["idp_entity_id"] == "https://sts.windows.net/81c1df79-e153-4f9d-a101-8dcf04af6c2c/"


def test_template_issuer_typed_in_is_refused_and_patch_keeps_the_working_idp(stack, admin, new_org):
    org = new_org()
    good = f"{stack.simulator.authority}/{CONTOSO}/federationmetadata/2007-06/federationmetadata.xml"
    created = admin.post(f"/api/organizations/{org}/connections", json={"protocol": "saml", "idp_metadata_url": good}).json()
    url = f"/api/organizations/{org}/connections/{created['id']}"
    certificate = stack.simulator.tenant_view(CONTOSO)["saml_certificates"][0]
    typed = {"idp_entity_id": TEMPLATE_ISSUER, "idp_sso_url": f"{stack.simulator.authority}/{CONTOSO}/saml2",
             "idp_certificate": certificate["pem"]}
    assert_refused_as_tenant_independent(admin.patch(url, json=typed))
    common_sso = {**typed, "idp_entity_id": f"https://sts.windows.net/{CONTOSO}/", "idp_sso_url": "https://login.microsoftonline.com/common/saml2"}
    assert_refused_as_tenant_independent(admin.patch(url, json=common_sso))
    assert admin.get(url).json()["idp_entity_id"] == f"https://sts.windows.net/{CONTOSO}/"
