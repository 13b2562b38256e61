"""What makes a response trustworthy: a valid signature over the one assertion we read, by one of
the connection's certificates, with algorithms we accept. Every attack starts from a validly
signed Entra response."""
from __future__ import annotations

import pytest
import xmlsec

from shared.platform.errors import SsoError
from shared.saml import validate_response
from tests.saml.entra import (
    ADA,
    ADMIN_OID,
    DS,
    REQUEST_ID,
    SAML,
    SAMLP,
    assertion_of,
    encode,
    entra_response,
    make_evil,
    parse,
    profile_of,
    q,
    resign,
    signature_of,
    tostring,
    unsigned_copy,
)


def _validate(connection, xml: bytes, expected_request_id: str | None = REQUEST_ID):
    return validate_response(connection, encode(xml), expected_request_id=expected_request_id)


def _rejected(connection, xml: bytes) -> str:
    with pytest.raises(SsoError) as caught:
        _validate(connection, xml)
    return caught.value.code


@pytest.mark.parametrize("sign", ["assertion", "both"])
def test_entra_response_validates(connection, idp_key, sign):
    profile = profile_of(_validate(connection, entra_response(idp_key, sign=sign)), connection)
    assert profile["idp_id"] == ADA["oid"]
    assert profile["email"] == ADA["email"]


# XML Signature Wrapping, XSW1-XSW8 as in Somorovsky et al., "On Breaking SAML: Be Whoever You
# Want to Be" (USENIX Security 2012), in SAML Raider's constructions. XSW1-2 move a signed
# Response, XSW3-8 a signed Assertion, so that a verifier checks one element and the application
# reads another (the evil one, which names the admin).

def _xsw1(root):
    """The signed Response, unsigned, goes inside its own Signature; the outer one turns evil."""
    original = unsigned_copy(root)
    make_evil(assertion_of(root))
    signature_of(root).append(original)
    root.set("ID", "_evil_response")


def _xsw2(root):
    """As XSW1, with the original Response placed before the Signature (a detached signature)."""
    original = unsigned_copy(root)
    make_evil(assertion_of(root))
    signature_of(root).addprevious(original)
    root.set("ID", "_evil_response")


def _xsw3(root):
    """An unsigned evil Assertion inserted before the signed one."""
    evil = unsigned_copy(assertion_of(root))
    make_evil(evil)
    evil.set("ID", "_evil_assertion")
    assertion_of(root).addprevious(evil)


def _xsw4(root):
    """The signed Assertion moved inside an unsigned evil one."""
    original = assertion_of(root)
    evil = unsigned_copy(original)
    make_evil(evil)
    evil.set("ID", "_evil_assertion")
    root.append(evil)
    evil.append(original)


def _xsw5(root):
    """The signed Assertion turns evil but keeps the Signature; an unsigned copy of the original
    is appended to the Response."""
    evil = assertion_of(root)
    original = unsigned_copy(evil)
    make_evil(evil)
    evil.set("ID", "_evil_assertion")
    root.append(original)


def _xsw6(root):
    """As XSW5, with the original copy placed inside the evil Assertion's Signature."""
    evil = assertion_of(root)
    original = unsigned_copy(evil)
    make_evil(evil)
    evil.set("ID", "_evil_assertion")
    signature_of(evil).append(original)


def _xsw7(root):
    """An unsigned evil copy inside an Extensions element before the signed Assertion."""
    evil = unsigned_copy(assertion_of(root))
    make_evil(evil)
    extensions = root.makeelement(q(SAMLP, "Extensions"))
    extensions.append(evil)
    assertion_of(root).addprevious(extensions)


def _xsw8(root):
    """The signed Assertion turns evil (same ID, same Signature); the original, unsigned, goes in
    a ds:Object inside that Signature."""
    evil = assertion_of(root)
    original = unsigned_copy(evil)
    make_evil(evil)
    holder = signature_of(evil).makeelement(q(DS, "Object"))
    holder.append(original)
    signature_of(evil).append(holder)


@pytest.mark.parametrize(("attack", "sign"), [
    (_xsw1, "response"), (_xsw1, "both"), (_xsw2, "response"), (_xsw2, "both"),
    (_xsw3, "assertion"), (_xsw4, "assertion"), (_xsw5, "assertion"), (_xsw6, "assertion"),
    (_xsw7, "assertion"), (_xsw8, "assertion"), (_xsw3, "both"), (_xsw8, "both"),
], ids=lambda v: v.__name__.strip("_") if callable(v) else v)
def test_signature_wrapping_is_rejected(connection, idp_key, attack, sign):
    root = parse(entra_response(idp_key, sign=sign))
    attack(root)
    code = _rejected(connection, tostring(root))
    assert code in {"saml_multiple_assertions", "saml_signature_invalid", "saml_assertion_unsigned"}


def test_unsigned_assertion_in_unsigned_response_is_rejected(connection, idp_key):
    unsigned = resign(entra_response(idp_key), idp_key, sign="none")
    assert _rejected(connection, unsigned) == "saml_assertion_unsigned"


def test_signed_response_around_an_unsigned_assertion_is_rejected(connection, idp_key):
    # Entra's "Sign SAML response" option: valid, but we require the assertion itself signed.
    assert _rejected(connection, entra_response(idp_key, sign="response")) == "saml_assertion_unsigned"


def test_response_signed_by_another_connections_certificate_is_rejected(connection, other_key):
    assert _rejected(connection, entra_response(other_key)) == "saml_signature_invalid"


def test_keyinfo_certificate_is_never_trusted(connection, idp_key, other_key):
    """The attacker signs with their own key and puts their certificate in KeyInfo."""
    forged = resign(entra_response(idp_key), other_key, lambda root: make_evil(assertion_of(root)))
    assert b"<X509Certificate>" in forged
    assert _rejected(connection, forged) == "saml_signature_invalid"


def test_tampered_signed_assertion_is_rejected(connection, idp_key):
    root = parse(entra_response(idp_key))
    make_evil(assertion_of(root))
    assert _rejected(connection, tostring(root)) == "saml_signature_invalid"


@pytest.mark.parametrize(("algorithm", "digest"), [("sha1", "sha1"), ("sha1", "sha256"), ("sha256", "sha1")])
def test_sha1_signature_or_digest_is_rejected(connection, idp_key, algorithm, digest):
    xml = resign(entra_response(idp_key), idp_key, algorithm=algorithm, digest=digest)
    assert _rejected(connection, xml) == "saml_deprecated_algorithm"


def _sign_as_entra_would_not(assertion, key, *, uri: str | None = None, transform=None) -> None:
    """A valid signature of `assertion` by `key`, but over `uri` or with an extra `transform`."""
    assertion.remove(signature_of(assertion))
    signature = xmlsec.template.create(assertion, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256)
    assertion.find(q(SAML, "Issuer")).addnext(signature)
    reference = xmlsec.template.add_reference(signature, xmlsec.Transform.SHA256,
                                              uri="#" + assertion.get("ID") if uri is None else uri)
    xmlsec.template.add_transform(reference, xmlsec.Transform.ENVELOPED)
    if transform == xmlsec.Transform.XPATH:
        node = xmlsec.template.add_transform(reference, transform)
        node.append(node.makeelement(q(DS, "XPath")))
        node[0].text = "true()"
    elif transform is not None:
        xmlsec.template.add_transform(reference, transform)
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_memory(key.key_pem, xmlsec.KeyFormat.PEM)
    xmlsec.tree.add_ids(assertion, ["ID"])
    context.sign(signature)


@pytest.mark.parametrize("transform", [xmlsec.Transform.XPATH, xmlsec.Transform.C14N], ids=["xpath-filter", "inclusive-c14n"])
def test_transforms_other_than_entras_are_refused_even_when_the_signature_verifies(connection, idp_key, transform):
    """XPath (or XSLT) transforms run inside xmlsec before the signature is known to be good."""
    root = parse(entra_response(idp_key))
    _sign_as_entra_would_not(assertion_of(root), idp_key, transform=transform)
    assert _rejected(connection, tostring(root)) == "saml_signature_invalid"


def test_signature_over_the_whole_document_is_refused_even_when_it_verifies(connection, idp_key):
    """Reference URI="" signs the document, not the assertion; python3-saml does not check it."""
    root = parse(entra_response(idp_key))
    _sign_as_entra_would_not(assertion_of(root), idp_key, uri="")
    assert _rejected(connection, tostring(root)) == "saml_signature_invalid"


def test_two_signed_assertions_are_rejected(connection, idp_key):
    """Both assertions carry a valid Entra signature: still exactly one is allowed."""
    first = parse(entra_response(idp_key))
    second = assertion_of(parse(entra_response(idp_key, user={**ADA, "oid": ADMIN_OID})))
    first.append(second)
    assert _rejected(connection, tostring(first)) == "saml_multiple_assertions"


@pytest.mark.parametrize("place", ["extensions", "signature-object"])
def test_a_second_element_with_the_signed_id_is_refused(connection, idp_key, place):
    """Which element "#id" names must not depend on document order or on the XML library."""
    root = parse(entra_response(idp_key))
    assertion = assertion_of(root)
    decoy = root.makeelement("{urn:example:decoy}Decoy", ID=assertion.get("ID"))
    if place == "extensions":
        extensions = root.makeelement(q(SAMLP, "Extensions"))
        extensions.append(decoy)
        root.find(q(SAMLP, "Status")).addprevious(extensions)
    else:
        holder = signature_of(assertion).makeelement(q(DS, "Object"))
        holder.append(decoy)
        signature_of(assertion).append(holder)
    assert _rejected(connection, tostring(root)) == "saml_signature_invalid"


def test_comment_inside_name_id_cannot_change_the_user(connection, idp_key):
    """Entra signed NameID "ada@contoso.com.evil.example"; exclusive c14n ignores comments, so a
    comment can be inserted without breaking the signature. Reading only the first text node
    would give "ada@contoso.com"."""
    user = {**ADA, "upn": "ada@contoso.com.evil.example", "email": "ada@contoso.com.evil.example"}
    xml = entra_response(idp_key, user=user, name_id_format="emailAddress")
    xml = xml.replace(b"ada@contoso.com.evil.example</NameID>", b"ada@contoso.com<!---->.evil.example</NameID>")
    xml = xml.replace(b"<AttributeValue>ada@contoso.com.evil.example</AttributeValue>",
                      b"<AttributeValue>ada@contoso.com<!---->.evil.example</AttributeValue>")
    assert xml.count(b"<!---->") == 3  # NameID, emailaddress and name claims
    assertion = _validate(connection, xml)
    assert assertion.name_id == "ada@contoso.com.evil.example"
    assert profile_of(assertion, connection)["email"] == "ada@contoso.com.evil.example"
