"""OIDC sign-in with Microsoft Entra ID.

Generic protocol layer: `fetch` (JSON from the authority), `discovery`, `jwks`, `id_token`.
Entra layer on top: `entra_tenant` (tenant ids, authority and issuer URLs), `entra_id_token`
(tenant and issuer rules, the validation entry points), `entra_errors` (AADSTS codes to ours),
`entra_client` (MSAL confidential clients: auth-code flow and credential probes).
"""
