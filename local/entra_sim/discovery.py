"""Entra's v2.0 OpenID Provider metadata and JWKS documents, field for field."""

from .realms import TENANT_TEMPLATE, Realm

CLAIMS_SUPPORTED = ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
                    "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time",
                    "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash",
                    "c_hash", "email"]


def issuer_of(authority: str, realm: Realm) -> str:
    return f"{authority}/{realm.tenant.id if realm.tenant else TENANT_TEMPLATE}/v2.0"


def openid_configuration(authority: str, realm: Realm, browser_origin: str | None = None) -> dict:
    """`browser_origin` (default: the authority) is where the pages a browser visits are served."""
    base = f"{authority}/{realm.segment}"
    pages = f"{browser_origin or authority}/{realm.segment}"
    return {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                  "client_secret_basic"],
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer_of(authority, realm),
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": f"{pages}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{pages}/oauth2/v2.0/logout",
        "claims_supported": CLAIMS_SUPPORTED,
        "kerberos_endpoint": f"{base}/kerberos",
        "tenant_region_scope": realm.tenant.region_scope if realm.tenant else None,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }
