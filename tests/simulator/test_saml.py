"""SAML single sign-on: SP- and IdP-initiated, checked by python3-saml (what the service uses)
against the simulator's own federation metadata; Entra's error pages; certificate rollover."""

import base64
import uuid

import pytest
from lxml import etree
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from tests.simulator.flows import ADELE, BOB, CONTOSO, authn_request, posted_form

DSIG = "http://www.w3.org/2000/09/xmldsig#"
SIGNATURE_METHODS = {"sha1": "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
                     "sha256": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"}


@pytest.fixture(autouse=True)
def clean_faults(sim):
    yield
    sim.clear_errors()


@pytest.fixture
def saml_app(sim):
    def register(**spec):
        app_id = str(uuid.uuid4())
        spec = {"app_id": app_id, "identifier": f"https://sp.example.com/saml/{app_id}",
                "reply_urls": [f"https://sp.example.com/saml/{app_id}/acs"], **spec}
        return sim.add_saml_app(CONTOSO, spec)
    return register


def metadata(sim, http, app):
    response = http.get(app["metadata_url"])
    assert response.status_code == 200
    return response.content


def validate(sim, http, app, saml_response, request_id):
    """python3-saml in strict mode, trusting the certificates the metadata lists."""
    idp = OneLogin_Saml2_IdPMetadataParser.parse(metadata(sim, http, app).decode("utf-8-sig"))
    acs = app["reply_urls"][0]
    settings = OneLogin_Saml2_Settings({
        "strict": True,
        "sp": {"entityId": app["identifier"], "assertionConsumerService": {
            "url": acs, "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"}},
        "idp": idp["idp"],
        "security": {"wantAssertionsSigned": True, "rejectDeprecatedAlgorithm": True},
    }, sp_validation_only=True)
    response = OneLogin_Saml2_Response(settings, saml_response)
    host, _, path = acs.removeprefix("https://").partition("/")
    valid = response.is_valid({"https": "on", "http_host": host, "script_name": "/" + path},
                              request_id)
    return response, valid


def sp_initiated(sim, http, app, username=ADELE, **params):
    request_id = "_" + uuid.uuid4().hex
    url = f"{sim.authority}/{CONTOSO}/saml2"
    query = {"SAMLRequest": authn_request(app["identifier"], app["reply_urls"][0], request_id),
             "RelayState": "relay-123", **params}
    picker = http.get(url, params=query)
    assert picker.status_code == 200 and username in picker.text, picker.text
    return request_id, http.post(url, data={**query, "username": username})


def test_sp_initiated_sign_in_posts_a_response_python3_saml_accepts(sim, http, saml_app):
    app = saml_app()
    request_id, page = sp_initiated(sim, http, app)
    action, fields = posted_form(page.text)
    assert action == app["reply_urls"][0]
    assert fields["RelayState"] == "relay-123"
    response, valid = validate(sim, http, app, fields["SAMLResponse"], request_id)
    assert valid, response.get_error()
    assert response.get_attributes()[
        "http://schemas.microsoft.com/identity/claims/tenantid"] == [CONTOSO]
    assert response.get_nameid_format() == "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"


def test_idp_initiated_send_has_no_in_response_to(sim, http, saml_app):
    app = saml_app()
    sent = sim.saml_idp_initiated(CONTOSO, app["identifier"], BOB, relay_state="deep/link")
    assert posted_form(sent["form"]) == (app["reply_urls"][0], {
        "SAMLResponse": sent["SAMLResponse"], "RelayState": "deep/link"})
    xml = base64.b64decode(sent["SAMLResponse"])
    assert b"InResponseTo" not in xml
    response, valid = validate(sim, http, app, sent["SAMLResponse"], None)
    assert valid, response.get_error()


def test_unregistered_identifier_is_aadsts700016_on_entras_page(sim, http):
    response = http.get(f"{sim.authority}/{CONTOSO}/saml2", params={
        "SAMLRequest": authn_request("https://unknown.example/sp", None, "_x1")})
    assert response.status_code == 400 and "AADSTS700016" in response.text
    assert "https://unknown.example/sp" in response.text


def test_unregistered_acs_url_is_aadsts50011(sim, http, saml_app):
    app = saml_app()
    response = http.get(f"{sim.authority}/{CONTOSO}/saml2", params={
        "SAMLRequest": authn_request(app["identifier"], "https://evil.example/acs", "_x2")})
    assert response.status_code == 400 and "AADSTS50011" in response.text


@pytest.mark.parametrize("saml_request, code", [(None, "AADSTS750054"),
                                                ("bm90IHhtbA==", "AADSTS75005")])
def test_missing_or_garbage_requests(sim, http, saml_request, code):
    params = {"SAMLRequest": saml_request} if saml_request else {}
    response = http.get(f"{sim.authority}/{CONTOSO}/saml2", params=params)
    assert response.status_code == 400 and code in response.text


def test_post_binding_authn_request_is_accepted(sim, http, saml_app):
    app = saml_app()
    saml_request = authn_request(app["identifier"], None, "_p1", deflate=False)
    picker = http.post(f"{sim.authority}/{CONTOSO}/saml2", data={"SAMLRequest": saml_request})
    assert picker.status_code == 200 and ADELE in picker.text


def test_unassigned_user_is_refused(sim, http, saml_app):
    app = saml_app()
    sim.set_error("AADSTS50105", client_id=app["app_id"], user=BOB)
    _, page = sp_initiated(sim, http, app, username=BOB)
    assert page.status_code == 400 and "AADSTS50105" in page.text


@pytest.mark.parametrize("sign, algorithm", [("response", "sha256"), ("both", "sha256"),
                                             ("assertion", "sha1")])
def test_signing_options_are_honoured(sim, http, saml_app, sign, algorithm):
    app = saml_app(sign=sign, algorithm=algorithm)
    request_id, page = sp_initiated(sim, http, app)
    saml_response = posted_form(page.text)[1]["SAMLResponse"]
    root = etree.fromstring(base64.b64decode(saml_response))
    signed = [s.getparent().tag.rpartition("}")[2] for s in root.iter(f"{{{DSIG}}}Signature")]
    assert sorted(signed) == sorted({"response": ["Response"], "both": ["Response", "Assertion"],
                                     "assertion": ["Assertion"]}[sign])
    methods = {m.get("Algorithm") for m in root.iter(f"{{{DSIG}}}SignatureMethod")}
    assert methods == {SIGNATURE_METHODS[algorithm]}
    response, valid = validate(sim, http, app, saml_response, request_id)
    assert valid == (algorithm == "sha256" and sign != "response"), response.get_error()


def test_certificate_rollover(sim, http):
    tenant = sim.add_tenant({"id": str(uuid.uuid4()), "domains": [f"{uuid.uuid4().hex}.example"],
                             "users": [{"upn": "u@r.example"}]})["id"]
    app = sim.add_saml_app(tenant, {"identifier": "https://rollover.example/sp",
                                    "reply_urls": ["https://rollover.example/acs"]})
    first = sim.tenant_view(tenant)["saml_certificates"][0]["x5t"]
    second = sim.add_saml_certificate(tenant)["x5t"]
    assert len(etree.fromstring(metadata(sim, http, app)[3:]).findall(
        f".//{{{DSIG}}}X509Certificate")) == 4  # two certificates, each in two descriptors

    def signer():
        sent = sim.saml_idp_initiated(tenant, app["app_id"], "u@r.example")
        _, valid = validate(sim, http, app, sent["SAMLResponse"], None)
        assert valid
        cert = etree.fromstring(base64.b64decode(sent["SAMLResponse"])).findtext(
            f".//{{{DSIG}}}X509Certificate")
        return next(c["x5t"] for c in sim.tenant_view(tenant)["saml_certificates"]
                    if "".join(c["pem"].splitlines()[1:-1]) == cert)

    assert signer() == first
    sim.activate_saml_certificate(tenant, second)
    assert signer() == second
    assert sim.retire_saml_certificates(tenant) == {"retired": [first]}
    assert signer() == second
