"""The AuthnRequest, sent by the HTTP-Redirect binding (the only one Entra documents for SSO),
signed over the query string when the connection signs its requests.

python3-saml builds its AuthnRequest by string formatting (a `"` or `</saml:Issuer>` in the SP
entity id would become markup), so the XML is built here with lxml, which escapes every value;
the toolkit still encodes, signs and assembles the redirect."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from lxml import etree
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from shared.platform.errors import SsoError
from shared.saml.connection import SamlConnection
from shared.saml.sp_settings import toolkit_settings


@dataclass(frozen=True)
class AuthnRedirect:
    url: str  # where to send the browser (302)
    request_id: str  # store it with the login state: the response must answer exactly this id


def authn_request_xml(*, request_id: str, issue_instant: str, destination: str, acs_url: str, sp_entity_id: str,
                      name_id_format: str, force_authn: bool = False) -> bytes:
    """The AuthnRequest as serialized XML; a value XML cannot carry (NUL, a lone surrogate) is a 400."""
    try:
        root = etree.Element(f"{{{C.NS_SAMLP}}}AuthnRequest", nsmap={"samlp": C.NS_SAMLP, "saml": C.NS_SAML})
        root.set("ID", request_id)
        root.set("Version", "2.0")
        if force_authn:
            root.set("ForceAuthn", "true")
        root.set("IssueInstant", issue_instant)
        root.set("Destination", destination)
        root.set("ProtocolBinding", C.BINDING_HTTP_POST)
        root.set("AssertionConsumerServiceURL", acs_url)
        etree.SubElement(root, f"{{{C.NS_SAML}}}Issuer").text = sp_entity_id
        etree.SubElement(root, f"{{{C.NS_SAMLP}}}NameIDPolicy", Format=name_id_format, AllowCreate="true")
        return etree.tostring(root, encoding="utf-8")
    except (ValueError, UnicodeError):
        raise SsoError("invalid_field", "The connection's `sp_entity_id` or IdP SSO URL holds characters XML cannot carry; "
                                        "set `sp_entity_id` to an absolute URI with PATCH.") from None


class _SerializedAuthnRequest:
    """Stands in for OneLogin_Saml2_Authn_Request (same constructor and getters)."""

    def __init__(self, settings, force_authn=False, is_passive=False, set_nameid_policy=True, name_id_value_req=None):
        sp, idp = settings.get_sp_data(), settings.get_idp_data()
        self._id = OneLogin_Saml2_Utils.generate_unique_id()
        self._xml = authn_request_xml(
            request_id=self._id, issue_instant=OneLogin_Saml2_Utils.parse_time_to_SAML(OneLogin_Saml2_Utils.now()),
            destination=idp["singleSignOnService"]["url"], acs_url=sp["assertionConsumerService"]["url"],
            sp_entity_id=sp["entityId"], name_id_format=sp["NameIDFormat"], force_authn=force_authn is True,
        )

    def get_request(self, deflate=True):
        encode = OneLogin_Saml2_Utils.deflate_and_base64_encode if deflate else OneLogin_Saml2_Utils.b64encode
        return encode(self._xml)

    def get_id(self):
        return self._id

    def get_xml(self):
        return self._xml.decode("utf-8")


class _Auth(OneLogin_Saml2_Auth):
    authn_request_class = _SerializedAuthnRequest


def authn_request_redirect(config: SamlConnection, base_url: str, *, relay_state: str, force_authn: bool = False,
                           login_hint: str | None = None) -> AuthnRedirect:
    """`force_authn` asks Entra to prompt even with a session (prompt=login); `login_hint` fills
    in the user name (Entra takes it as a query parameter, not as a Subject in the request)."""
    auth = _Auth({}, toolkit_settings(config, base_url, with_sp_key=True))
    url = auth.login(return_to=relay_state, force_authn=force_authn)
    if login_hint:
        url += "&" + urlencode({"login_hint": login_hint})
    return AuthnRedirect(url=url, request_id=auth.get_last_request_id())
