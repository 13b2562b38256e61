"""The Functions app: registers one Blueprint per module in functions/. Nothing else lives here."""
import azure.functions as func

from functions import admin_api_keys, admin_connections, admin_organizations, health, oidc_callback, sso_start, token

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for blueprint_module in (health, admin_organizations, admin_connections, admin_api_keys, sso_start, oidc_callback, token):
    app.register_functions(blueprint_module.bp)
