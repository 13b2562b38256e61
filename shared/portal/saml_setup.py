"""The SAML form's one IdP source, as the admin API's connection fields: the App Federation
Metadata URL (fetched at once by connection_admin.update, with the public_url rules), the
Federation Metadata XML (a file or pasted), or entity id + SSO URL + certificate."""
from __future__ import annotations

from shared.platform.errors import SsoError
from shared.portal.forms import SamlForm


def body(form: SamlForm) -> dict:
    if form.source == "url":
        if not form.idp_metadata_url.strip():
            raise _missing("the App Federation Metadata Url")
        return {"idp_metadata_url": form.idp_metadata_url.strip()}
    if form.source == "xml":
        xml = form.idp_metadata_file if form.idp_metadata_file.strip() else form.idp_metadata_xml
        if not xml.strip():
            raise _missing("the Federation Metadata XML (choose the file, or paste it)")
        return {"idp_metadata_xml": xml}
    fields = {name: getattr(form, name).strip() for name in ("idp_entity_id", "idp_sso_url", "idp_certificate")}
    if not all(fields.values()):
        raise _missing("the Microsoft Entra Identifier, the Login URL and the certificate (Base64)")
    return fields


def _missing(what: str) -> SsoError:
    return SsoError("missing_field", f"Give {what}.")
