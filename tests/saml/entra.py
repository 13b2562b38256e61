"""Entra-shaped SAML responses for the tests (built by the simulator's saml_idp), and the tools
to edit one as an attacker would, or to re-sign it as a (misconfigured) IdP would."""
from __future__ import annotations

import base64
import copy
from typing import Callable

from lxml import etree

from local.entra_sim import saml_idp
from shared.signin.profile import saml_profile

BASE_URL = "https://identity.eu.example.com"
CONNECTION_ID = "conn_samltests000000000"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SP_ENTITY_ID = f"{BASE_URL}/auth/sso/saml/{CONNECTION_ID}"
ACS_URL = f"{SP_ENTITY_ID}/acs"
REQUEST_ID = "ONELOGIN_4fee3b046395c4e751011e97f8900b5273d56685"

ADA = {"oid": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "upn": "ada@contoso.com", "name": "Ada Lovelace",
       "given_name": "Ada", "family_name": "Lovelace", "email": "ada@contoso.com",
       "groups": ["5f3a2c1e-0000-4000-8000-000000000001", "5f3a2c1e-0000-4000-8000-000000000002"]}
ADMIN_OID = "00000000-0000-4000-8000-00000000ad01"  # whom an attacker would like to be

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
DS = "http://www.w3.org/2000/09/xmldsig#"


def profile_of(assertion, connection) -> dict:
    """The profile a verified assertion yields (what the ACS builds from it, shared/signin/profile.py)."""
    profile, _ = saml_profile(assertion.attributes, name_id=assertion.name_id, entra_tenant_id=assertion.tenant_id or "",
                              organization="acme", connection_id=connection.connection_id, verified_domains=(),
                              own_single_tenant_app=False, attribute_mapping=connection.attribute_mapping)
    return profile


def entra_response(key, *, user: dict = ADA, in_response_to: str | None = REQUEST_ID, acs_url: str = ACS_URL,
                   audience: str = SP_ENTITY_ID, **options) -> bytes:
    """What Entra posts for `user` to our ACS, signed with `key` (options as saml_idp.build_response)."""
    return saml_idp.build_response(tenant_id=TENANT_ID, app={"identifier": audience}, user=user,
                                   in_response_to=in_response_to, acs_url=acs_url, signing_key_pem=key.key_pem,
                                   signing_cert_pem=key.cert_pem, **options)


def encode(xml: bytes | str) -> str:
    return base64.b64encode(xml.encode() if isinstance(xml, str) else xml).decode()


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def tostring(root: etree._Element) -> bytes:
    return etree.tostring(root)


def q(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def assertion_of(root: etree._Element) -> etree._Element:
    return root.find(q(SAML, "Assertion"))


def signature_of(element: etree._Element) -> etree._Element | None:
    return element.find(q(DS, "Signature"))


def make_evil(assertion: etree._Element) -> None:
    """What every wrapping attack wants: the admin's identity in place of the signed user's."""
    assertion.find(f"{q(SAML, 'Subject')}/{q(SAML, 'NameID')}").text = "admin@contoso.com"
    for attribute in assertion.iter(q(SAML, "Attribute")):
        if attribute.get("Name") == "http://schemas.microsoft.com/identity/claims/objectidentifier":
            attribute[0].text = ADMIN_OID


def unsigned_copy(element: etree._Element) -> etree._Element:
    clone = copy.deepcopy(element)
    for signature in clone.findall(q(DS, "Signature")):
        clone.remove(signature)
    return clone


def resign(xml: bytes, key, edit: Callable[[etree._Element], None] = lambda root: None, *, sign: str = "assertion",
           algorithm: str = "sha256", digest: str | None = None) -> bytes:
    """`xml` with its signatures removed, `edit` applied, then signed again with `key` as Entra
    signs: what a valid response with that content looks like."""
    root = parse(xml)
    for signature in list(root.iter(q(DS, "Signature"))):
        signature.getparent().remove(signature)
    edit(root)
    if sign in ("assertion", "both"):
        saml_idp.sign_element(assertion_of(root), key_pem=key.key_pem, cert_pem=key.cert_pem, algorithm=algorithm, digest=digest)
    if sign in ("response", "both"):
        saml_idp.sign_element(root, key_pem=key.key_pem, cert_pem=key.cert_pem, algorithm=algorithm, digest=digest)
    return tostring(root)
