"""The Functions app: registers one Blueprint per module in functions/. Nothing else lives here."""
import azure.functions as func

from functions import (
    admin_api_keys,
    admin_connections,
    admin_credentials,
    admin_domains,
    admin_organizations,
    admin_regions,
    admin_sign_in_policy,
    discover,
    health,
    oidc_callback,
    saml,
    sso_start,
    timers,
    token,
    warmup,
)

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for blueprint_module in (
    health, admin_organizations, admin_connections, admin_credentials, admin_api_keys, admin_domains, admin_sign_in_policy,
    admin_regions, discover, sso_start, oidc_callback, saml, token, timers, warmup,
):
    app.register_functions(blueprint_module.bp)
