"""Saving an OIDC connection from the portal's form, with each live check shown on its own:
the tenant is found, this stamp's redirect URI is registered on the app, and Entra accepts the
credential. The connection is created by the admin API's own `connection_admin.create` (which
checks the tenant and proves the secret with a client-credentials request before it stores
anything); the redirect URI check runs first, so a failure of any check saves nothing."""
from __future__ import annotations

from dataclasses import dataclass, field

from shared.admin import connection_admin
from shared.lifecycle import certificate_credentials
from shared.oidc.discovery import provider_metadata
from shared.oidc.redirect_probe import probe_redirect_uri
from shared.orgs import connections
from shared.platform.errors import SsoError
from shared.platform.settings import get_settings

TENANT, CREDENTIAL, REDIRECT, CERTIFICATE = "tenant", "credential", "redirect_uri", "certificate"
LABELS = {TENANT: "Tenant found in Entra", CREDENTIAL: "Client secret accepted by Entra (client-credentials sign-in)",
          REDIRECT: "Redirect URI registered on the app",
          CERTIFICATE: "Certificate accepted by Entra (client-credentials sign-in with an assertion signed by its key)"}
UPLOAD_STEPS = "in the app registration open Certificates & secrets → Certificates → Upload certificate, choose the downloaded file, and Add"
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


def _tenant_and_redirect(tenant_id: str, client_id: str, then: tuple[str, ...]) -> tuple[list[Check], bool]:
    """The tenant check, then the redirect URI check (which also finds an unknown client id):
    (checks so far, both passed). A failure marks the checks `then` as not tried."""
    try:
        provider_metadata(tenant_id)
    except SsoError as err:
        if err.status >= 500 or err.code not in ("tenant_not_found", "invalid_field"):
            raise
        return [_failed(TENANT, err), *_skipped(REDIRECT, *then)], False
    tenant = Check(TENANT, True, f"Entra knows the tenant {tenant_id}.")
    try:
        probe_redirect_uri(tenant_id, client_id, get_settings().oidc_redirect_uri)
    except SsoError as err:
        if err.code not in ("application_not_found", "redirect_uri_mismatch"):
            raise
        return [tenant, _failed(REDIRECT, err), *_skipped(*then)], False
    return [tenant, Check(REDIRECT, True, f"{get_settings().oidc_redirect_uri} is registered.")], True


def start_certificate(organization: str, form: dict[str, str]) -> Outcome:
    """"Use a certificate instead": once the tenant and the app's redirect URI check out, a
    connection that waits for its first certificate (`credential_type` certificate: pending, it
    signs nobody in) and that certificate's key pair (the key in the secret store). The admin
    downloads it, uploads it in Entra, and `activate_certificate` proves it."""
    body = {name: form[name].strip() for name in ("display_name", "entra_tenant_id", "client_id") if form.get(name, "").strip()}
    for name in ("entra_tenant_id", "client_id"):
        if name not in body:
            return Outcome(error=SsoError("missing_field", f"Fill in {name.replace('_', ' ')}."))
    checks, passed = _tenant_and_redirect(body["entra_tenant_id"], body["client_id"], ())
    if not passed:
        return Outcome(checks)
    body.update(protocol="oidc", credential_type="certificate")
    body.setdefault("display_name", "Microsoft Entra ID (OIDC)")
    try:
        view, _ = connection_admin.create(organization, body)
    except SsoError as err:
        if err.code in ("invalid_field", "missing_field", "tenant_not_found"):
            return Outcome(error=err)
        raise
    certificate_credentials.create(connections.require(organization, view["id"]), {})
    return Outcome(checks, connection=view)


def _certificate_refusal(err: SsoError, thumbprint: str) -> Check:
    """Entra's reason (its AADSTS number) and the exact fix, for the certificate proof."""
    aadsts = err.detail.get("aadsts")
    reason = f"Entra refused the certificate (AADSTS{aadsts})" if aadsts else "Entra refused the certificate"
    if err.code == "invalid_client_certificate":
        message = (f"{reason}: the app registration has no certificate with thumbprint {thumbprint}, so it cannot check the "
                   f"assertion signed with its key. Fix: {UPLOAD_STEPS}; Entra then lists thumbprint {thumbprint}. Then press Activate again.")
    else:
        message = f"{reason}: {err.message}"
    return Check(CERTIFICATE, False, message, err.code)


def activate_certificate(stored) -> Outcome:
    """"Activate": the live checks (tenant, redirect URI, then a client-credentials request with
    an assertion signed by the pending certificate's key), and only when all pass does the
    certificate become the connection's credential. A failure changes nothing."""
    doc = stored.doc
    pending = doc.pending_certificate
    if pending is None:
        return Outcome(error=SsoError("no_pending_certificate", "There is no certificate waiting here: create one from the OIDC setup page."))
    checks, passed = _tenant_and_redirect(doc.entra_tenant_id, doc.client_id, (CERTIFICATE,))
    if not passed:
        return Outcome(checks)
    try:
        view, _ = certificate_credentials.activate(stored, {"thumbprint": pending.thumbprint})
    except SsoError as err:
        if err.code in CREDENTIAL_ERRORS:
            return Outcome([*checks, _certificate_refusal(err, pending.thumbprint)])
        if err.code == "no_pending_certificate":
            return Outcome(error=err)
        raise
    return Outcome([*checks, Check(CERTIFICATE, True, f"Entra issued a token to the app for an assertion signed with certificate {pending.thumbprint}.")],
                   connection=view)


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
