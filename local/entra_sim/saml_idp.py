"""What Entra's SAML IdP sends, built as Entra builds it: pure functions, no I/O.

Shapes follow Microsoft's "Single sign-on SAML protocol" and "SAML token claims reference":
the Response carries Entra's Issuer (`https://sts.windows.net/{tid}/`) and one Assertion in the
default SAML assertion namespace; the Signature (default xmldsig namespace, enveloped, exclusive
c14n, KeyInfo with the X.509 certificate) sits right after the Issuer of what it signs; claims
use Entra's URIs; more than 150 groups become the `groups.link` overage claim.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import html
import uuid
import zlib

import xmlsec
from lxml import etree

PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
METADATA_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
WSFED_NS = "http://docs.oasis-open.org/wsfed/federation/200706"
WSA_NS = "http://www.w3.org/2005/08/addressing"

REDIRECT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
PASSWORD_CONTEXT = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
PASSWORD_METHOD = "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password"

NAME_ID_FORMATS = {
    "persistent": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "emailAddress": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "unspecified": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    "transient": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
}

CLAIM_TENANT_ID = "http://schemas.microsoft.com/identity/claims/tenantid"
CLAIM_OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
CLAIM_DISPLAY_NAME = "http://schemas.microsoft.com/identity/claims/displayname"
CLAIM_IDENTITY_PROVIDER = "http://schemas.microsoft.com/identity/claims/identityprovider"
CLAIM_AUTHN_METHODS = "http://schemas.microsoft.com/claims/authnmethodsreferences"
CLAIM_GIVEN_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
CLAIM_SURNAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
CLAIM_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
CLAIM_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
CLAIM_GROUPS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
CLAIM_GROUPS_LINK = "http://schemas.microsoft.com/claims/groups.link"

MAX_GROUPS_IN_TOKEN = 150  # beyond this Entra sends groups.link instead of the groups
MAX_AUTHN_REQUEST_BYTES = 64 * 1024  # an AuthnRequest is a few hundred bytes; stop inflate bombs

_SIGNATURE_TRANSFORMS = {"sha256": xmlsec.Transform.RSA_SHA256, "sha1": xmlsec.Transform.RSA_SHA1}
_DIGEST_TRANSFORMS = {"sha256": xmlsec.Transform.SHA256, "sha1": xmlsec.Transform.SHA1}

# No DTDs, no entity expansion, no network: an AuthnRequest is attacker-controlled input.
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)


def issuer_for(tenant_id: str) -> str:
    return f"https://sts.windows.net/{tenant_id}/"


def parse_authn_request(saml_request: str, *, deflated: bool = True) -> dict:
    """The parts of an SP's AuthnRequest Entra acts on. Raises ValueError on anything malformed.

    `deflated` is the HTTP-Redirect binding (raw DEFLATE, then base64); False is HTTP-POST.
    """
    try:
        data = base64.b64decode(saml_request, validate=True)
        if deflated:
            inflater = zlib.decompressobj(-15)
            data = inflater.decompress(data, MAX_AUTHN_REQUEST_BYTES)
            if inflater.unconsumed_tail:
                raise ValueError("SAMLRequest inflates to more than 64 KiB")
        root = etree.fromstring(data, _SAFE_PARSER)
    except (ValueError, zlib.error, etree.XMLSyntaxError) as exc:
        raise ValueError(f"SAMLRequest is not base64{' DEFLATE' if deflated else ''} XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise ValueError("SAMLRequest must not contain a DOCTYPE")
    if root.tag != f"{{{PROTOCOL_NS}}}AuthnRequest":
        raise ValueError(f"SAMLRequest is a {root.tag}, not a samlp:AuthnRequest")
    request_id = root.get("ID")
    issuer = root.findtext(f"{{{ASSERTION_NS}}}Issuer")
    if not request_id or not issuer or not issuer.strip():
        raise ValueError("AuthnRequest needs an ID and an Issuer")
    policy = root.find(f"{{{PROTOCOL_NS}}}NameIDPolicy")
    return {
        "id": request_id,
        "issuer": issuer.strip(),
        "acs_url": root.get("AssertionConsumerServiceURL"),
        "name_id_policy_format": policy.get("Format") if policy is not None else None,
    }


def build_response(*, tenant_id: str, app: dict, user: dict, in_response_to: str | None, acs_url: str,
                   signing_key_pem: bytes, signing_cert_pem: bytes, sign: str = "assertion",
                   algorithm: str = "sha256", name_id_format: str = "persistent",
                   now: datetime.datetime | None = None) -> bytes:
    """A signed samlp:Response as Entra posts it to the ACS (the XML, before base64).

    `sign` is Entra's signing option: "assertion" (the default), "response" or "both".
    `algorithm` is "sha256" or "sha1" (both signature and digest, as Entra's SHA-1 option does).
    `name_id_format` is a key of NAME_ID_FORMATS or its URI (as an AuthnRequest's NameIDPolicy
    asks for it). `in_response_to` None is an IdP-initiated response: no InResponseTo anywhere.
    """
    if sign not in ("assertion", "response", "both"):
        raise ValueError(f"sign must be assertion, response or both, got {sign!r}")
    now = now or datetime.datetime.now(datetime.timezone.utc)
    issuer = issuer_for(tenant_id)
    response = _response_element(issuer, acs_url, in_response_to, now, STATUS_SUCCESS)
    assertion = etree.SubElement(response, _a("Assertion"), nsmap={None: ASSERTION_NS},
                                 ID=_new_id(), IssueInstant=_instant(now), Version="2.0")
    etree.SubElement(assertion, _a("Issuer")).text = issuer
    _subject(assertion, tenant_id, app, user, in_response_to, acs_url, now, name_id_format)
    conditions = etree.SubElement(assertion, _a("Conditions"),
                                  NotBefore=_instant(now - datetime.timedelta(minutes=5)),
                                  NotOnOrAfter=_instant(now + datetime.timedelta(hours=1)))
    restriction = etree.SubElement(conditions, _a("AudienceRestriction"))
    etree.SubElement(restriction, _a("Audience")).text = app["identifier"]
    _attributes(assertion, tenant_id, user)
    authn = etree.SubElement(assertion, _a("AuthnStatement"), AuthnInstant=_instant(now),
                             SessionIndex=assertion.get("ID"))
    context = etree.SubElement(authn, _a("AuthnContext"))
    etree.SubElement(context, _a("AuthnContextClassRef")).text = PASSWORD_CONTEXT

    # The assertion is signed first, so a response signature covers the signed assertion.
    if sign in ("assertion", "both"):
        sign_element(assertion, key_pem=signing_key_pem, cert_pem=signing_cert_pem, algorithm=algorithm)
    if sign in ("response", "both"):
        sign_element(response, key_pem=signing_key_pem, cert_pem=signing_cert_pem, algorithm=algorithm)
    return etree.tostring(response)


def build_error_response(*, tenant_id: str, in_response_to: str | None, acs_url: str, status: str,
                         sub_status: str | None = None, message: str,
                         now: datetime.datetime | None = None) -> bytes:
    """An unsigned error Response as Entra posts it, e.g. status "Requester", sub_status
    "NoPassive", message "AADSTS50058: ..." (Entra puts its AADSTS code in StatusMessage)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    response = _response_element(issuer_for(tenant_id), acs_url, in_response_to, now,
                                 f"urn:oasis:names:tc:SAML:2.0:status:{status}")
    status_element = response.find(_p("Status"))
    if sub_status:
        etree.SubElement(status_element[0], _p("StatusCode"), Value=f"urn:oasis:names:tc:SAML:2.0:status:{sub_status}")
    etree.SubElement(status_element, _p("StatusMessage")).text = message
    return etree.tostring(response)


def sign_element(element: etree._Element, *, key_pem: bytes, cert_pem: bytes, algorithm: str = "sha256",
                 digest: str | None = None) -> None:
    """Signs `element` in place as Entra does: enveloped, exclusive c14n, the Signature right
    after the element's Issuer, KeyInfo carrying the certificate. `digest` defaults to `algorithm`."""
    signature = xmlsec.template.create(element, xmlsec.Transform.EXCL_C14N, _SIGNATURE_TRANSFORMS[algorithm])
    element.find(_a("Issuer")).addnext(signature)
    reference = xmlsec.template.add_reference(signature, _DIGEST_TRANSFORMS[digest or algorithm],
                                              uri="#" + element.get("ID"))
    xmlsec.template.add_transform(reference, xmlsec.Transform.ENVELOPED)
    xmlsec.template.add_transform(reference, xmlsec.Transform.EXCL_C14N)
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    _strip_whitespace(signature)  # the template is indented; Entra's signatures are not
    key = xmlsec.Key.from_memory(key_pem, xmlsec.KeyFormat.PEM)
    key.load_cert_from_memory(cert_pem, xmlsec.KeyFormat.CERT_PEM)
    context = xmlsec.SignatureContext()
    context.key = key
    xmlsec.tree.add_ids(element, ["ID"])
    context.sign(signature)
    # xmlsec wraps base64 and indents what it fills in, Entra does neither. SignatureValue and
    # KeyInfo follow SignedInfo and are not signed, so this leaves the signature valid.
    for unsigned_part in signature[1:]:
        _strip_whitespace(unsigned_part)


def federation_metadata_xml(*, tenant_id: str, authority: str, signing_certs_pem: list[bytes],
                            app_id: str | None = None, realm: str | None = None,
                            browser_origin: str | None = None) -> bytes:
    """Entra's federation metadata document (tenant-wide, or per app with `app_id`), unsigned.

    Like Entra's, it starts with a UTF-8 BOM, lists every signing certificate (two during a
    rollover) in a WS-Federation RoleDescriptor and in the IDPSSODescriptor, and serves SSO by
    Redirect and POST and logout by Redirect at `{authority}/{tid}/saml2`. Entra's per-app document
    differs from the tenant one only in which certificates it lists, which the caller chooses, so
    `app_id` is accepted for the route's `?appid=` and changes nothing else. `realm` (`common`,
    `organizations`) makes the tenant-independent document: `tenant_id` is then the literal
    `{tenantid}` template of its entityID, and its endpoints are the realm's. `browser_origin`
    (default: the authority) is where the SSO and logout pages are served.
    """
    authority = authority.rstrip("/")
    saml2 = f"{(browser_origin or authority).rstrip('/')}/{realm or tenant_id}/saml2"
    root = etree.Element(_m("EntityDescriptor"), nsmap={None: METADATA_NS},
                         ID=_new_id(), entityID=issuer_for(tenant_id))
    sts = etree.SubElement(root, _m("RoleDescriptor"), nsmap={"xsi": XSI_NS, "fed": WSFED_NS},
                           protocolSupportEnumeration=WSFED_NS)
    sts.set(f"{{{XSI_NS}}}type", "fed:SecurityTokenServiceType")
    _key_descriptors(sts, signing_certs_pem)
    endpoint = etree.SubElement(sts, f"{{{WSFED_NS}}}PassiveRequestorEndpoint")
    reference = etree.SubElement(endpoint, f"{{{WSA_NS}}}EndpointReference", nsmap={"wsa": WSA_NS})
    etree.SubElement(reference, f"{{{WSA_NS}}}Address").text = f"{authority}/{realm or tenant_id}/wsfed"
    idp = etree.SubElement(root, _m("IDPSSODescriptor"), protocolSupportEnumeration=PROTOCOL_NS)
    _key_descriptors(idp, signing_certs_pem)
    etree.SubElement(idp, _m("SingleLogoutService"), Binding=REDIRECT_BINDING, Location=saml2)
    etree.SubElement(idp, _m("SingleSignOnService"), Binding=REDIRECT_BINDING, Location=saml2)
    etree.SubElement(idp, _m("SingleSignOnService"), Binding=POST_BINDING, Location=saml2)
    return b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>' + etree.tostring(root)


def auto_post_form(acs_url: str, saml_response_b64: str, relay_state: str | None) -> str:
    """Entra's self-submitting form that POSTs the response to the ACS (HTTP-POST binding)."""
    def attr(value: str) -> str:
        return html.escape(value, quote=True)

    relay = (f'<input type="hidden" name="RelayState" value="{attr(relay_state)}" />'
             if relay_state is not None else "")
    return (
        "<html><head><title>Working...</title></head><body>"
        f'<form method="POST" name="hiddenform" action="{attr(acs_url)}">'
        f'<input type="hidden" name="SAMLResponse" value="{attr(saml_response_b64)}" />{relay}'
        "<noscript><p>Script is disabled. Click Submit to continue.</p>"
        '<input type="submit" value="Submit" /></noscript></form>'
        "<script>document.forms[0].submit();</script></body></html>"
    )


def _response_element(issuer: str, acs_url: str, in_response_to: str | None, now: datetime.datetime,
                      status_code: str) -> etree._Element:
    response = etree.Element(_p("Response"), nsmap={"samlp": PROTOCOL_NS}, ID=_new_id(), Version="2.0",
                             IssueInstant=_instant(now), Destination=acs_url)
    if in_response_to is not None:
        response.set("InResponseTo", in_response_to)
    etree.SubElement(response, _a("Issuer"), nsmap={None: ASSERTION_NS}).text = issuer
    status = etree.SubElement(response, _p("Status"))
    etree.SubElement(status, _p("StatusCode"), Value=status_code)
    return response


def _subject(assertion, tenant_id, app, user, in_response_to, acs_url, now, name_id_format) -> None:
    format_uri = NAME_ID_FORMATS.get(name_id_format, name_id_format)
    if format_uri == NAME_ID_FORMATS["persistent"]:
        # Entra's persistent NameID is pairwise: stable for a user in one app, unlinkable across apps.
        digest = hashlib.sha256(f"{tenant_id}|{app['identifier']}|{user['oid']}".encode()).digest()
        value = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    elif format_uri == NAME_ID_FORMATS["emailAddress"]:
        value = user.get("email") or user["upn"]
    elif format_uri == NAME_ID_FORMATS["transient"]:
        value = _new_id()
    elif format_uri == NAME_ID_FORMATS["unspecified"]:
        value = user["upn"]
    else:
        raise ValueError(f"Entra does not issue NameID format {name_id_format!r}")
    subject = etree.SubElement(assertion, _a("Subject"))
    etree.SubElement(subject, _a("NameID"), Format=format_uri).text = value
    confirmation = etree.SubElement(subject, _a("SubjectConfirmation"), Method=BEARER)
    data = etree.SubElement(confirmation, _a("SubjectConfirmationData"))
    if in_response_to is not None:
        data.set("InResponseTo", in_response_to)
    data.set("NotOnOrAfter", _instant(now + datetime.timedelta(minutes=5)))
    data.set("Recipient", acs_url)


def _attributes(assertion, tenant_id: str, user: dict) -> None:
    groups = list(user.get("groups") or ())
    claims: list[tuple[str, list[str]]] = [
        (CLAIM_TENANT_ID, [tenant_id]),
        (CLAIM_OBJECT_ID, [user["oid"]]),
        (CLAIM_DISPLAY_NAME, [user.get("name")]),
    ]
    if len(groups) > MAX_GROUPS_IN_TOKEN:
        claims.append((CLAIM_GROUPS_LINK, [f"https://graph.windows.net/{tenant_id}/users/{user['oid']}/getMemberObjects"]))
    elif groups:
        claims.append((CLAIM_GROUPS, groups))
    claims += [
        (CLAIM_IDENTITY_PROVIDER, [issuer_for(tenant_id)]),
        (CLAIM_AUTHN_METHODS, [PASSWORD_METHOD]),
        (CLAIM_GIVEN_NAME, [user.get("given_name")]),
        (CLAIM_SURNAME, [user.get("family_name")]),
        (CLAIM_EMAIL, [user.get("email")]),
        (CLAIM_NAME, [user["upn"]]),
    ]
    statement = etree.SubElement(assertion, _a("AttributeStatement"))
    for name, values in claims:
        values = [v for v in values if v]  # Entra leaves out claims whose source is empty
        if values:
            attribute = etree.SubElement(statement, _a("Attribute"), Name=name)
            for value in values:
                etree.SubElement(attribute, _a("AttributeValue")).text = value


def _key_descriptors(parent, certs_pem: list[bytes]) -> None:
    for pem in certs_pem:
        descriptor = etree.SubElement(parent, _m("KeyDescriptor"), use="signing")
        key_info = etree.SubElement(descriptor, f"{{{DSIG_NS}}}KeyInfo", nsmap={None: DSIG_NS})
        data = etree.SubElement(key_info, f"{{{DSIG_NS}}}X509Data")
        etree.SubElement(data, f"{{{DSIG_NS}}}X509Certificate").text = _pem_body(pem)


def _strip_whitespace(element) -> None:
    """Drops indentation and base64 line breaks (the only text a Signature holds is base64)."""
    for node in element.iter():
        node.text = "".join(node.text.split()) or None if node.text else None
        node.tail = None


def _pem_body(pem: bytes) -> str:
    lines = pem.decode("ascii").strip().splitlines()
    return "".join(line for line in lines if not line.startswith("-----"))


def _new_id() -> str:
    return f"_{uuid.uuid4()}"


def _instant(moment: datetime.datetime) -> str:
    moment = moment.astimezone(datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _a(tag: str) -> str:
    return f"{{{ASSERTION_NS}}}{tag}"


def _p(tag: str) -> str:
    return f"{{{PROTOCOL_NS}}}{tag}"


def _m(tag: str) -> str:
    return f"{{{METADATA_NS}}}{tag}"
