"""The SaaS's own side, as a SaaS operator sets it up in Entra (README: the shared app): its
tenant, its multi-tenant app registration (admin consent required in every other tenant), the
function app's user-assigned managed identity, and the federated credential that lets that
identity's token stand in for a client secret. Also the consumer tenant of personal accounts.

`register_shared_app(sim, base_url)` does all of it and answers the settings that point a stamp
at it (SSO_SHARED_APP_*, AZURE_CLIENT_ID, IDENTITY_ENDPOINT, IDENTITY_HEADER, SSO_GRAPH_HOST)."""

SAAS_TENANT = "5aa5c0de-0000-4000-8000-000000005aa5"
SHARED_APP_CLIENT_ID = "5aa5a990-0000-4000-8000-00000000a990"
CONSUMER_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


def register_shared_app(sim, base_url: str) -> dict:
    if sim.directory.tenant(SAAS_TENANT) is None:
        sim.add_tenant({"id": SAAS_TENANT, "name": "Tailspin (the SaaS)", "domains": ["tailspin-saas.example"],
                        "users": [{"upn": "ops@tailspin-saas.example", "name": "SaaS Operator", "roles": [GLOBAL_ADMIN]}]})
    if sim.directory.tenant(CONSUMER_TENANT) is None:  # personal Microsoft accounts
        sim.add_tenant({"id": CONSUMER_TENANT, "name": "Microsoft accounts", "domains": ["consumers.live.example"], "users": [
            {"upn": "pat.personal@outlook.com", "name": "Pat Personal", "email": "pat.personal@outlook.com"},
            {"upn": "sam.spoof@outlook.com", "name": "Sam Spoof", "email": "sam.spoof@outlook.com"}]})
    identity = sim.add_managed_identity(SAAS_TENANT)
    app = {"client_id": SHARED_APP_CLIENT_ID, "name": "Tailspin sign-in", "sign_in_audience": "AzureADMultipleOrgs",
           "consent_required": True, "redirect_uris": [f"{base_url}/auth/sso/microsoft/callback", f"{base_url}/auth/sso/microsoft/consent"],
           "optional_claims": ["email", "xms_edov", "wids"], "groups_claim": True,
           "delegated_permissions": ["User.Read"], "application_permissions": ["GroupMember.Read.All"],
           "federated_credentials": [{"name": "stamp", "issuer": identity["issuer"], "subject": identity["object_id"],
                                      "audiences": ["api://AzureADTokenExchange"]}]}
    with sim.directory.lock:
        existing = sim.directory.apps.get(SHARED_APP_CLIENT_ID)
    if existing is None:
        sim.add_app(SAAS_TENANT, app)
    else:  # another stamp (dev host) on the same simulator: add its URIs and trust its identity too
        sim.update_app(SHARED_APP_CLIENT_ID, {
            "redirect_uris": sorted(set(existing.redirect_uris) | set(app["redirect_uris"])),
            "federated_credentials": existing.federated_credentials + app["federated_credentials"]})
    return {"SSO_SHARED_APP_CLIENT_ID": SHARED_APP_CLIENT_ID, "SSO_SHARED_APP_TENANT_ID": SAAS_TENANT,
            "SSO_SHARED_APP_CREDENTIAL": "managed_identity", "AZURE_CLIENT_ID": identity["client_id"],
            "IDENTITY_ENDPOINT": identity["identity_endpoint"], "IDENTITY_HEADER": identity["identity_header"],
            "SSO_GRAPH_HOST": sim.authority}
