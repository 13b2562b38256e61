"""The Functions app: registers one Blueprint per module in functions/, then the 405s for the
methods each route does not take (functions/method_not_allowed.py). Nothing else lives here."""
import azure.functions as func

from functions import (
    admin_api_keys,
    admin_connections,
    admin_credentials,
    admin_directories,
    admin_domains,
    admin_microsoft_sign_in,
    admin_organizations,
    admin_regions,
    admin_sign_in_policy,
    discover,
    health,
    method_not_allowed,
    microsoft_consent,
    oidc_callback,
    openapi,
    portal,
    saml,
    scim,
    sso_start,
    timers,
    token,
    warmup,
)

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for blueprint_module in (
    health, admin_organizations, admin_connections, admin_credentials, admin_api_keys, admin_domains, admin_sign_in_policy,
    admin_regions, discover, sso_start, oidc_callback, saml, token, timers, microsoft_consent, admin_microsoft_sign_in, portal, openapi,
    scim, admin_directories, warmup,
):
    app.register_functions(blueprint_module.bp)

# Last: every method a route does not take answers 405 (the Functions host alone would answer 404).
app.register_functions(method_not_allowed.blueprint(app))
