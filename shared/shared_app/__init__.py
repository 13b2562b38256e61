"""The stamp's own multi-tenant Entra app (issue 15): its credential (a managed identity's token as
a federated client assertion, or a Key Vault certificate; never a client secret), the MSAL
registration a one-click connection signs in with, and the admin consent URL."""
