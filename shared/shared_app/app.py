"""The shared app as the rest of the stamp uses it: its registration for one tenant (what MSAL
signs in and proves consent with), the admin consent URL, and who may grant that consent.

A one-click connection is the shared app pinned to the one tenant whose admin consented: its
sign-ins are checked exactly as a customer's own single-tenant app's are (issuer and `tid` of
that tenant, audience = the shared app's client id), by the same code (oidc_ending).
"""
from __future__ import annotations

import functools
from urllib.parse import urlencode

from shared.oidc.entra_client import AppRegistration
from shared.oidc.entra_tenant import normalize_tenant
from shared.platform.errors import SsoError
from shared.platform.settings import SharedApp, get_settings
from shared.shared_app.credential import ManagedIdentityAssertion, certificate_credential

CONSENT_SCOPE = "https://graph.microsoft.com/.default"  # the permissions listed on the app registration
# Directory roles that can grant tenant-wide admin consent, by template id (the ID token's `wids`).
CONSENT_ADMIN_ROLES = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
}


def configured() -> SharedApp:
    app = get_settings().shared_app
    if app is None:
        raise SsoError("shared_app_not_configured")
    return app


@functools.lru_cache(maxsize=4)
def _identity_assertion(app: SharedApp) -> ManagedIdentityAssertion:
    return ManagedIdentityAssertion(app)  # one per process: its token is cached for the day it lives


def credential(app: SharedApp):
    if app.credential == "managed_identity":
        return {"client_assertion": _identity_assertion(app)}
    return certificate_credential(app.certificate_secret)


def registration(connection_id: str, tenant_id: str, *, any_account: bool = False) -> AppRegistration:
    """MSAL's view of the shared app in `tenant_id`, for one connection (`any_account`: Sign in
    with Microsoft, whose tenant may also be `common` or `consumers`)."""
    app = configured()
    return AppRegistration(connection_id, f"shared:{app.credential}", normalize_tenant(tenant_id, any_account=any_account), app.client_id,
                           credential(app), any_account)


def consent_redirect_uri() -> str:
    return f"{get_settings().public_base_url}/auth/sso/microsoft/consent"


def admin_consent_url(state: str) -> str:
    """Entra's tenant-wide admin consent for the shared app; Entra answers at consent_redirect_uri."""
    query = urlencode({"client_id": configured().client_id, "scope": CONSENT_SCOPE, "redirect_uri": consent_redirect_uri(), "state": state})
    return f"{get_settings().entra_authority_host}/organizations/v2.0/adminconsent?{query}"


def consent_roles(claims: dict) -> list[str]:
    """The roles in a verified ID token's `wids` that can grant admin consent."""
    wids = claims.get("wids")
    return [CONSENT_ADMIN_ROLES[w] for w in wids if isinstance(w, str) and w in CONSENT_ADMIN_ROLES] if isinstance(wids, list) else []
