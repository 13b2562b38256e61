"""What the portal's routes take: the portal-link API body and each form, as pydantic models
(declared on the operations, and the very models that validate the bodies). A form's fields
are strings, as a browser sends them; `csrf_token` is checked (and removed) by the guard."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.platform.errors import SsoError

Intent = Literal["sso", "domain_verification", "directory_sync", "credentials"]


class _Strict(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")


class PortalLinkRequest(_Strict):
    intent: Intent
    return_url: str | None = None


class PortalLinkAnswer(_Strict):
    link: str
    expires_at: str


class CsrfForm(_Strict):
    csrf_token: str = ""


class OidcForm(CsrfForm):
    display_name: str = ""
    entra_tenant_id: str = ""
    client_id: str = ""
    client_secret: str = ""
    client_secret_expires_on: str = ""
    credential: Literal["secret", "certificate"] = "secret"  # which submit button: "Check and save" or "Use a certificate instead"


class OidcCertificateForm(CsrfForm):
    action: Literal["activate", "new_certificate"] = "activate"


class CertificateDownload(_Strict):
    format: Literal["pem", "cer"] = "pem"  # .cer: DER, as Windows exports it; both upload to Entra


class OneClickForm(CsrfForm):
    replace: str = ""  # start again: the refused pending one-click connection this one replaces


class SamlForm(CsrfForm):
    source: Literal["url", "xml", "certificate"] = "url"
    idp_metadata_url: str = ""
    idp_metadata_xml: str = ""
    idp_metadata_file: str = ""  # the same XML, chosen as a file (multipart/form-data)
    idp_entity_id: str = ""
    idp_sso_url: str = ""
    idp_certificate: str = ""


class DomainForm(CsrfForm):
    domain: str = ""


class SignInMethodsForm(CsrfForm):
    password: Literal["", "on"] = ""
    sso: Literal["", "on"] = ""
    sso_enforcement: Literal["none", "verified_domains", "listed_users"] = "none"
    break_glass_emails: str = ""


class CredentialForm(CsrfForm):
    action: Literal["rotate_secret", "rollback", "create_certificate", "activate_certificate"]
    client_secret: str = ""
    expires_on: str = ""


class DirectoryForm(CsrfForm):
    action: Literal["create", "new_token"]
    name: str = ""
    directory: str = ""


def parse(model: type[_Strict], fields: dict):
    """`fields` read by `model`, or a 400 naming what is wrong (never the values sent)."""
    try:
        return model.model_validate(fields)
    except ValidationError as err:
        names = sorted({".".join(str(part) for part in problem["loc"]) or "body" for problem in err.errors()})
        code = "unknown_field" if all(problem["type"] == "extra_forbidden" for problem in err.errors()) else "invalid_field"
        raise SsoError(code, f"These fields are missing or not accepted: {', '.join(names)}.") from None
