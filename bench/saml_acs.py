"""ACS validation rate: ours (every check of validate_response; the replay cache is the caller's
and left out) against a bare xmlsec verification of the same document (base64 decode, parse,
register IDs, verify the assertion signature with an already loaded key), in the same run.

    .venv/bin/python bench/saml_acs.py [--seconds 1.0] [--rounds 5] [--out-of-the-box]

Prints both rates (best round of each, rounds interleaved) and the ratio; the target is <= 4x.
--out-of-the-box measures python3-saml strict as shipped instead of ours (OneLogin_Saml2_Settings
built per request, Response.is_valid, NameID and attributes read): the figure we started from.
It runs without importing shared.saml, whose patches apply process-wide.
"""
from __future__ import annotations

import argparse
import base64
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import xmlsec  # noqa: E402
from lxml import etree  # noqa: E402

from bench.timing import rate  # noqa: E402
from local.entra_sim import pki, saml_idp  # noqa: E402

BASE_URL = "https://identity.eu.example.com"
CONNECTION_ID = "conn_bench00000000000000"
SP_ENTITY_ID = f"{BASE_URL}/auth/sso/saml/{CONNECTION_ID}"
ACS_URL = f"{SP_ENTITY_ID}/acs"
TENANT = "0ff014fc-8490-4ab7-bf04-c6875829a31f"
IDP_ENTITY_ID = f"https://sts.windows.net/{TENANT}/"
SSO_URL = f"https://login.microsoftonline.com/{TENANT}/saml2"
REQUEST_ID = "ONELOGIN_0d5c5f2e3b9c4a7e8f1a2b3c4d5e6f708192a3b4"
USER = {"oid": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "upn": "adele@contoso.com", "name": "Adele Vance",
        "given_name": "Adele", "family_name": "Vance", "email": "adele@contoso.com",
        "groups": [f"5f3a2c1e-0000-4000-8000-{i:012d}" for i in range(20)]}


def ours_call(encoded: str, cert_pem: str):
    from shared.saml.connection import SamlConnection
    from shared.saml.response import validate_response

    config = SamlConnection(connection_id=CONNECTION_ID, idp_entity_id=IDP_ENTITY_ID, idp_sso_url=SSO_URL,
                            idp_certificates=(cert_pem,))
    return lambda: validate_response(config, encoded, base_url=BASE_URL, expected_request_id=REQUEST_ID)


def out_of_the_box_call(encoded: str, cert_pem: str):
    from onelogin.saml2.response import OneLogin_Saml2_Response
    from onelogin.saml2.settings import OneLogin_Saml2_Settings

    settings = {
        "strict": True,
        "sp": {"entityId": SP_ENTITY_ID, "assertionConsumerService": {"url": ACS_URL}},
        "idp": {"entityId": IDP_ENTITY_ID, "singleSignOnService": {"url": SSO_URL}, "x509certMulti": {"signing": [cert_pem]}},
        "security": {"wantAssertionsSigned": True, "rejectDeprecatedAlgorithm": True, "requestedAuthnContext": False},
    }
    request_data = {"https": "on", "http_host": BASE_URL.split("://")[1], "script_name": ACS_URL.split(BASE_URL)[1]}

    def call():
        response = OneLogin_Saml2_Response(OneLogin_Saml2_Settings(settings), encoded)
        response.is_valid(request_data, REQUEST_ID, raise_exceptions=True)
        response.get_nameid_data()
        response.get_attributes()
    return call


def bare_call(encoded: str, cert_pem: bytes):
    key = xmlsec.Key.from_memory(cert_pem, xmlsec.KeyFormat.CERT_PEM)
    signature_path = "{urn:oasis:names:tc:SAML:2.0:assertion}Assertion/{http://www.w3.org/2000/09/xmldsig#}Signature"

    def call():
        root = etree.fromstring(base64.b64decode(encoded))
        xmlsec.tree.add_ids(root, ["ID"])
        context = xmlsec.SignatureContext()
        context.key = key
        context.verify(root.find(signature_path))
    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each timed round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out-of-the-box", action="store_true", help="measure python3-saml strict as shipped instead of ours")
    args = parser.parse_args()

    idp = pki.self_signed("Microsoft Azure Federated SSO Certificate", days=365)
    xml = saml_idp.build_response(tenant_id=TENANT, app={"identifier": SP_ENTITY_ID}, user=USER, in_response_to=REQUEST_ID,
                                  acs_url=ACS_URL, signing_key_pem=idp.key_pem, signing_cert_pem=idp.cert_pem)
    encoded = base64.b64encode(xml).decode()
    label = "python3-saml strict, as shipped" if args.out_of_the_box else "validate_response, all checks"
    ours = (out_of_the_box_call if args.out_of_the_box else ours_call)(encoded, idp.cert_pem.decode())
    bare = bare_call(encoded, idp.cert_pem)
    ours()
    bare()  # both accept the response; caches now warm
    best = {"ours": 0.0, "bare": 0.0}
    for _ in range(args.rounds):
        best["bare"] = max(best["bare"], rate(bare, args.seconds, batch=20))
        best["ours"] = max(best["ours"], rate(ours, args.seconds, batch=20))
    print(f"Entra response, {len(xml)} bytes, {len(USER['groups'])} groups, assertion signed RSA-SHA256")
    print(f"bare xmlsec verify               {best['bare']:9.0f} responses/s")
    print(f"{label:<33}{best['ours']:9.0f} responses/s")
    print(f"time per response, ours / bare   {best['bare'] / best['ours']:9.2f}x   (target <= 4x)")


if __name__ == "__main__":
    main()
