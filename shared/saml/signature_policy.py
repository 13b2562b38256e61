"""The XML signatures we accept at all, checked before xmlsec runs.

Entra signs with RSA-SHA256 (or SHA-1, which we refuse), exclusive c14n, the enveloped-signature
transform and one Reference to the signed element's ID, unique in the document. python3-saml checks only the first
Reference and SignatureMethod/DigestMethod of a signature and lets xmlsec run any transform the
document names; xmlsec applies transforms (XSLT, XPath) while digesting, that is before the
signature is known to be good. So every Signature in the document must have exactly this shape.
"""
from __future__ import annotations

from onelogin.saml2.constants import OneLogin_Saml2_Constants as C

from shared.platform.errors import SsoError

_DS = "{http://www.w3.org/2000/09/xmldsig#}"
EXCLUSIVE_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
CANONICALIZATIONS = {EXCLUSIVE_C14N}
TRANSFORMS = {ENVELOPED_SIGNATURE, EXCLUSIVE_C14N}
SIGNATURE_METHODS = {C.RSA_SHA256, C.RSA_SHA384, C.RSA_SHA512}
DIGEST_METHODS = {C.SHA256, C.SHA384, C.SHA512}
DEPRECATED = set(C.DEPRECATED_ALGORITHMS)


def check_signatures(document) -> None:
    ids = document.xpath("//@ID")
    if len(ids) != len(set(ids)):  # a Reference "#id" must name one element, not whichever xmlsec finds first
        raise _refused("two elements with the same ID")
    for signature in document.iter(f"{_DS}Signature"):
        signed = signature.getparent()
        children = list(signature)
        signed_info = children[0] if children and children[0].tag == f"{_DS}SignedInfo" else None
        if signed_info is None:
            raise _refused("a Signature without SignedInfo")
        references = signed_info.findall(f"{_DS}Reference")
        if len(references) != 1 or signed is None or not signed.get("ID") or references[0].get("URI") != "#" + signed.get("ID"):
            raise _refused("a Signature that does not reference exactly its own element by ID")
        _algorithm(signed_info, "CanonicalizationMethod", CANONICALIZATIONS)
        _algorithm(signed_info, "SignatureMethod", SIGNATURE_METHODS)
        _algorithm(references[0], "DigestMethod", DIGEST_METHODS)
        for transform in references[0].iterfind(f"{_DS}Transforms/{_DS}Transform"):
            if transform.get("Algorithm") not in TRANSFORMS:
                raise _refused("a transform other than enveloped-signature and exclusive c14n")


def _algorithm(parent, tag: str, allowed: set[str]) -> None:
    nodes = parent.findall(f"{_DS}{tag}")
    algorithm = nodes[0].get("Algorithm") if len(nodes) == 1 else None
    if algorithm in DEPRECATED:
        raise SsoError("saml_deprecated_algorithm")
    if algorithm not in allowed:
        raise _refused(f"an unsupported {tag}")


def _refused(what: str) -> SsoError:
    return SsoError("saml_signature_invalid", f"The SAML response carries {what}; Entra signs with RSA-SHA256 and exclusive c14n. Check that the response comes from Entra.")
