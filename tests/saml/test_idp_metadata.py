"""The IdP side of a connection from Entra's federation metadata or the three pasted fields."""
from __future__ import annotations

import dataclasses
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, rsa
from cryptography.x509.oid import NameOID

from local.entra_sim import saml_idp
from shared.platform.errors import SsoError
from shared.saml import SamlConnection, load_idp, validate_response
from tests.saml.entra import CONNECTION_ID, REQUEST_ID, TENANT_ID, encode, entra_response

AUTHORITY = "https://login.microsoftonline.com"
NOW = datetime.datetime.now(datetime.timezone.utc)


def _metadata(*keys) -> bytes:
    return saml_idp.federation_metadata_xml(tenant_id=TENANT_ID, authority=AUTHORITY,
                                            signing_certs_pem=[key.cert_pem for key in keys])


def _certificate_pem(*, bits: int = 2048, not_after: datetime.datetime = NOW + datetime.timedelta(days=365), dsa_key: bool = False) -> str:
    key = dsa.generate_private_key(key_size=2048) if dsa_key else rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Microsoft Azure Federated SSO Certificate")])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(not_after - datetime.timedelta(days=730)).not_valid_after(not_after)
                   .sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def test_entra_metadata_with_its_bom(idp_key):
    xml = _metadata(idp_key)
    assert xml.startswith(b"\xef\xbb\xbf")
    idp = load_idp(metadata_xml=xml)
    assert idp.entity_id == f"https://sts.windows.net/{TENANT_ID}/"
    assert idp.sso_url == f"{AUTHORITY}/{TENANT_ID}/saml2"
    assert idp.certificates == (idp_key.cert_pem.decode(),)


def test_pasted_metadata_as_text_with_its_bom(idp_key):
    assert load_idp(metadata_xml=_metadata(idp_key).decode("utf-8")).certificates == (idp_key.cert_pem.decode(),)


def test_rollover_lists_every_signing_certificate_and_either_validates(idp_key, rollover_key):
    idp = load_idp(metadata_xml=_metadata(idp_key, rollover_key))
    assert idp.certificates == (idp_key.cert_pem.decode(), rollover_key.cert_pem.decode())
    connection = SamlConnection(connection_id=CONNECTION_ID, idp_entity_id=idp.entity_id, idp_sso_url=idp.sso_url,
                                idp_certificates=idp.certificates)
    for key in (idp_key, rollover_key):
        assert validate_response(connection, encode(entra_response(key)), expected_request_id=REQUEST_ID).name_id


def test_expired_certificate_is_dropped_while_another_is_valid(idp_key):
    expired = _certificate_pem(not_after=NOW - datetime.timedelta(days=1))
    xml = saml_idp.federation_metadata_xml(tenant_id=TENANT_ID, authority=AUTHORITY,
                                           signing_certs_pem=[expired.encode(), idp_key.cert_pem])
    assert load_idp(metadata_xml=xml).certificates == (idp_key.cert_pem.decode(),)


def test_only_expired_certificates_is_certificate_expired():
    expired = _certificate_pem(not_after=NOW - datetime.timedelta(days=1))
    xml = saml_idp.federation_metadata_xml(tenant_id=TENANT_ID, authority=AUTHORITY, signing_certs_pem=[expired.encode()])
    with pytest.raises(SsoError) as caught:
        load_idp(metadata_xml=xml)
    assert caught.value.code == "certificate_expired"


@pytest.mark.parametrize("xml", [
    b"", b"not xml", b"<html><body>Sign in</body></html>",
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">&e;</EntityDescriptor>',
    b'<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><IDPSSODescriptor/></EntityDescriptor>',
])
def test_garbage_metadata_is_invalid_metadata(xml):
    with pytest.raises(SsoError) as caught:
        load_idp(metadata_xml=xml)
    assert caught.value.code == "invalid_metadata"


def test_metadata_with_a_broken_certificate_is_invalid_certificate(idp_key):
    xml = _metadata(idp_key).replace(idp_key.cert_b64[10:40].encode(), b"A" * 30)
    with pytest.raises(SsoError) as caught:
        load_idp(metadata_xml=xml)
    assert caught.value.code == "invalid_certificate"


def test_metadata_sso_url_must_be_https(idp_key):
    xml = _metadata(idp_key).replace(f"{AUTHORITY}/".encode(), b"http://login.example.com/")
    with pytest.raises(SsoError) as caught:
        load_idp(metadata_xml=xml)
    assert caught.value.code == "invalid_metadata"


def test_three_fields(idp_key):
    idp = load_idp(entity_id=f"https://sts.windows.net/{TENANT_ID}/", sso_url=f"{AUTHORITY}/{TENANT_ID}/saml2",
                   certificate=idp_key.cert_b64)  # Entra's bare base64, as in the metadata
    assert idp.certificates == (idp_key.cert_pem.decode(),)


@pytest.mark.parametrize(("certificate", "code"), [
    ("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----", "invalid_certificate"),
    ("TUlJQ", "invalid_certificate"),
    (_certificate_pem(bits=1024), "invalid_certificate"),
    (_certificate_pem(dsa_key=True), "invalid_certificate"),
    (_certificate_pem(not_after=NOW - datetime.timedelta(minutes=1)), "certificate_expired"),
])
def test_pasted_certificate_is_checked(certificate, code):
    with pytest.raises(SsoError) as caught:
        load_idp(entity_id=f"https://sts.windows.net/{TENANT_ID}/", sso_url=f"{AUTHORITY}/{TENANT_ID}/saml2", certificate=certificate)
    assert caught.value.code == code


def test_exactly_one_source(idp_key):
    with pytest.raises(SsoError) as caught:
        load_idp(metadata_xml=_metadata(idp_key), entity_id="https://sts.windows.net/x/")
    assert caught.value.code == "invalid_field"
    with pytest.raises(SsoError) as caught:
        load_idp(entity_id=f"https://sts.windows.net/{TENANT_ID}/")
    assert caught.value.code == "missing_field"


def test_connection_needs_a_certificate_and_known_mapping_keys(connection):
    with pytest.raises(ValueError):
        dataclasses.replace(connection, idp_certificates=())
    with pytest.raises(ValueError):
        dataclasses.replace(connection, attribute_mapping={"tenant": "x"})
