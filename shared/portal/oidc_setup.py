"""Saving an OIDC connection from the portal's form, with each live check shown on its own:
the tenant is found, this stamp's redirect URI is registered on the app, and Entra accepts the
credential. The connection is created by the admin API's own `connection_admin.create` (which
checks the tenant and proves the secret with a client-credentials request before it stores
anything); the redirect URI check runs first, so a failure of any check saves nothing."""
from __future__ import annotations

from dataclasses import dataclass, field

from shared.admin import connection_admin
from shared.oidc.discovery import provider_metadata
from shared.oidc.redirect_probe import probe_redirect_uri
from shared.platform.errors import SsoError
from shared.platform.settings import get_settings

TENANT, CREDENTIAL, REDIRECT = "tenant", "credential", "redirect_uri"
LABELS = {TENANT: "Tenant found in Entra", CREDENTIAL: "Client secret accepted by Entra (client-credentials sign-in)",
          REDIRECT: "Redirect URI registered on the app"}
FORM_FIELDS = ("display_name", "entra_tenant_id", "client_id", "client_secret", "client_secret_expires_on")
# What Entra's answer to the client-credentials proof says is wrong, by our error code.
CREDENTIAL_ERRORS = {"invalid_client_secret", "client_secret_expired", "application_not_found", "invalid_client_certificate",
                     "consent_required", "idp_error"}


@dataclass
class Check:
    name: str
    ok: bool | None  # None: not tried, an earlier check failed
    message: str = ""
    code: str = ""

    @property
    def label(self) -> str:
        return LABELS[self.name]


@dataclass
class Outcome:
    checks: list[Check] = field(default_factory=list)
    error: SsoError | None = None  # the form itself is wrong (nothing was checked)
    connection: dict | None = None  # the saved connection's view

    @property
    def saved(self) -> bool:
        return self.connection is not None


def _failed(name: str, err: SsoError) -> Check:
    return Check(name, False, err.message, err.code)


def _skipped(*names: str) -> list[Check]:
    return [Check(name, None, "Not tried: fix the check above first.") for name in names]


def save(organization: str, form: dict[str, str]) -> Outcome:
    body = {name: form[name].strip() for name in FORM_FIELDS if form.get(name, "").strip()}
    body["protocol"] = "oidc"
    body.setdefault("display_name", "Microsoft Entra ID (OIDC)")
    for name in ("entra_tenant_id", "client_id", "client_secret", "client_secret_expires_on"):
        if name not in body:
            return Outcome(error=SsoError("missing_field", f"Fill in {name.replace('_', ' ')}."))
    try:
        provider_metadata(body["entra_tenant_id"])
    except SsoError as err:
        if err.status >= 500 or err.code not in ("tenant_not_found", "invalid_field"):
            raise
        return Outcome([_failed(TENANT, err), *_skipped(CREDENTIAL, REDIRECT)])
    tenant = Check(TENANT, True, f"Entra knows the tenant {body['entra_tenant_id']}.")
    try:
        probe_redirect_uri(body["entra_tenant_id"], body["client_id"], get_settings().oidc_redirect_uri)
    except SsoError as err:
        if err.code == "application_not_found":
            return Outcome([tenant, _failed(CREDENTIAL, err), *_skipped(REDIRECT)])
        if err.code != "redirect_uri_mismatch":
            raise
        return Outcome([tenant, Check(CREDENTIAL, None, "Not tried: fix the redirect URI first; nothing was saved."), _failed(REDIRECT, err)])
    redirect = Check(REDIRECT, True, f"{get_settings().oidc_redirect_uri} is registered.")
    try:
        view, _ = connection_admin.create(organization, body)
    except SsoError as err:
        if err.code in CREDENTIAL_ERRORS:
            return Outcome([tenant, _failed(CREDENTIAL, err), redirect])
        if err.code in ("invalid_field", "missing_field"):
            return Outcome(error=err)
        raise
    return Outcome([tenant, Check(CREDENTIAL, True, "Entra issued a token to the app with this secret."), redirect], connection=view)
