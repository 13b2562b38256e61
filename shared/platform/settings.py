"""The stamp's settings: read once from the environment, validated, immutable.

Every `SSO_*` setting the code reads is declared in `SETTING_NAMES`; infra/main.bicep and
local.settings.sample.json are checked against it by tests, so a setting cannot be added here
and forgotten there.
"""
from __future__ import annotations

import functools
import ipaddress
import json
import os
from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlsplit

REGIONS = ("us", "eu", "au")

SETTING_NAMES = (
    "SSO_REGION",
    "SSO_PUBLIC_BASE_URL",
    "SSO_STORAGE_CONNECTION_STRING",
    "SSO_STORAGE_TABLE_ENDPOINT",
    "SSO_KEYVAULT_URL",
    "SSO_LOCAL_SECRET_STORE_PATH",
    "SSO_LOCAL_SECRET_STORE_KEY",
    "SSO_BOOTSTRAP_API_KEY",
    "SSO_ENTRA_AUTHORITY_HOST",
    "SSO_CA_BUNDLE",
    "SSO_ALLOW_LOOPBACK_METADATA",
    "SSO_DNS_RESOLVER",
    "SSO_REGION_URLS",
    "SSO_GRAPH_HOST",
    "SSO_SHARED_APP_CLIENT_ID",
    "SSO_SHARED_APP_TENANT_ID",
    "SSO_SHARED_APP_CREDENTIAL",
    "SSO_SHARED_APP_CERTIFICATE",
    "SSO_PORTAL_FRAME_ANCESTORS",
)
# Set by Azure itself, not by us: the user-assigned identity's client id (infra sets it for
# DefaultAzureCredential too) and App Service's managed identity endpoint and its secret header.
PLATFORM_NAMES = ("AZURE_CLIENT_ID", "IDENTITY_ENDPOINT", "IDENTITY_HEADER")
SHARED_APP_CREDENTIALS = ("managed_identity", "certificate")

# Development and test only: never set in Azure (infra/main.bicep sets every other name above).
DEV_ONLY_SETTINGS = (
    "SSO_STORAGE_CONNECTION_STRING",
    "SSO_LOCAL_SECRET_STORE_PATH",
    "SSO_LOCAL_SECRET_STORE_KEY",
    "SSO_CA_BUNDLE",
    "SSO_ALLOW_LOOPBACK_METADATA",
    "SSO_DNS_RESOLVER",
)

MIN_BOOTSTRAP_KEY_LENGTH = 32


class SettingsError(Exception):
    """One or more settings are missing or malformed; the message names each and says how to fix it."""


@dataclass(frozen=True)
class Settings:
    region: str
    public_base_url: str
    bootstrap_api_key: str = field(repr=False)
    storage_connection_string: str | None = field(default=None, repr=False)
    storage_table_endpoint: str | None = None
    keyvault_url: str | None = None
    local_secret_store_path: str | None = None
    local_secret_store_key: str | None = field(default=None, repr=False)
    entra_authority_host: str = "https://login.microsoftonline.com"
    ca_bundle: str | None = None
    allow_loopback_metadata: bool = False
    dns_resolver: tuple[str, int] | None = None
    region_urls: Mapping[str, str] = field(default_factory=dict)
    graph_host: str = "https://graph.microsoft.com"
    shared_app: "SharedApp | None" = None  # the stamp's own multi-tenant app, when configured
    portal_frame_ancestors: str = "'none'"  # the setup portal's CSP frame-ancestors: who may embed it

    @property
    def oidc_redirect_uri(self) -> str:
        return f"{self.public_base_url}/auth/sso/microsoft/callback"


@dataclass(frozen=True)
class SharedApp:
    """The stamp's own multi-tenant app registration (shared/shared_app/)."""
    client_id: str
    tenant_id: str
    credential: str  # one of SHARED_APP_CREDENTIALS
    identity_client_id: str | None = None  # managed_identity: AZURE_CLIENT_ID
    identity_endpoint: str | None = None  # managed_identity: IDENTITY_ENDPOINT
    identity_header: str | None = field(default=None, repr=False)
    certificate_secret: str | None = None  # certificate: its name in the secret store (Key Vault)


_GUID_CHARS = set("0123456789abcdef-")


def _guid(name: str, value: str, problems: list[str]) -> str:
    lowered = value.strip().lower()
    parts = lowered.split("-")
    if not (set(lowered) <= _GUID_CHARS and [len(p) for p in parts] == [8, 4, 4, 4, 12]):
        problems.append(f"{name} must be a GUID (the Application (client) ID or Directory (tenant) ID in Entra), got {value!r}")
    return lowered


def _shared_app(env: Mapping[str, str], platform: Mapping[str, str], problems: list[str]) -> SharedApp | None:
    names = ("SSO_SHARED_APP_CLIENT_ID", "SSO_SHARED_APP_TENANT_ID", "SSO_SHARED_APP_CREDENTIAL")
    if not any(name in env for name in names):
        return None
    missing = [name for name in names if name not in env]
    if missing:
        problems.append(f"the shared app needs {', '.join(names)} together; missing {', '.join(missing)}")
        return None
    credential = env["SSO_SHARED_APP_CREDENTIAL"]
    app = SharedApp(_guid(names[0], env[names[0]], problems), _guid(names[1], env[names[1]], problems), credential)
    if credential == "managed_identity":
        absent = [name for name in PLATFORM_NAMES if not platform.get(name)]
        if absent:
            problems.append(f"SSO_SHARED_APP_CREDENTIAL=managed_identity needs {', '.join(absent)}: give the function app its "
                            "user-assigned identity (infra/main.bicep) and set AZURE_CLIENT_ID to its client id")
            return None
        endpoint = platform["IDENTITY_ENDPOINT"]
        if not is_loopback_host(urlsplit(endpoint).hostname) or urlsplit(endpoint).scheme not in ("http", "https"):
            problems.append(f"IDENTITY_ENDPOINT must be the platform's local endpoint (http(s) on loopback), got {endpoint!r}")
        return SharedApp(app.client_id, app.tenant_id, credential, _guid("AZURE_CLIENT_ID", platform["AZURE_CLIENT_ID"], problems),
                         endpoint, platform["IDENTITY_HEADER"])
    if credential == "certificate":
        if "SSO_SHARED_APP_CERTIFICATE" not in env:
            problems.append("SSO_SHARED_APP_CREDENTIAL=certificate needs SSO_SHARED_APP_CERTIFICATE: the name of the Key Vault "
                            "secret holding the certificate's PEM (private key and certificate)")
        return SharedApp(app.client_id, app.tenant_id, credential, certificate_secret=env.get("SSO_SHARED_APP_CERTIFICATE"))
    problems.append(f"SSO_SHARED_APP_CREDENTIAL must be one of {', '.join(SHARED_APP_CREDENTIALS)} (no client secret is ever used), got {credential!r}")
    return None


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _base_url(name: str, value: str, problems: list[str], allow_loopback_http: bool = True) -> str:
    parts = urlsplit(value)
    loopback_http = parts.scheme == "http" and allow_loopback_http and is_loopback_host(parts.hostname)
    if not parts.hostname or (parts.scheme != "https" and not loopback_http) or parts.query or parts.fragment:
        problems.append(f"{name} must be an https URL with no query (plain http only on loopback), got {value!r}")
    return value.rstrip("/")


def _flag(name: str, value: str, problems: list[str]) -> bool:
    lowered = value.strip().lower()
    if lowered in ("", "0", "false", "no"):
        return False
    if lowered in ("1", "true", "yes"):
        return True
    problems.append(f"{name} must be true or false, got {value!r}")
    return False


def _host_port(name: str, value: str, problems: list[str]) -> tuple[str, int] | None:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        problems.append(f"{name} must be host:port, e.g. 127.0.0.1:5353, got {value!r}")
        return None
    return host.strip("[]"), int(port)


def _region_urls(name: str, value: str, problems: list[str]) -> dict[str, str]:
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not all(k in REGIONS and isinstance(v, str) for k, v in parsed.items()):
        problems.append(f'{name} must be a JSON object mapping regions {REGIONS} to base URLs, e.g. {{"eu": "https://identity.eu.example.com"}}')
        return {}
    return {region: _base_url(f"{name}[{region}]", url, problems) for region, url in parsed.items()}


def _frame_ancestors(name: str, value: str, problems: list[str]) -> str:
    """CSP frame-ancestors sources: 'none', 'self' or https origins (http only on loopback)."""
    sources = value.split()
    for source in sources:
        parts = urlsplit(source)
        origin = parts.scheme in ("https", "http") and parts.hostname and not (parts.path.strip("/") or parts.query or parts.fragment)
        if source not in ("'none'", "'self'") and not (origin and (parts.scheme == "https" or is_loopback_host(parts.hostname))):
            problems.append(f"{name} must be 'none', 'self' or space-separated https origins (e.g. https://app.example.com), got {source!r}")
    if "'none'" in sources and len(sources) > 1:
        problems.append(f"{name}: 'none' cannot be combined with other sources")
    return " ".join(sources) or "'none'"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Reads and validates every setting; raises SettingsError naming all problems at once."""
    source = os.environ if environ is None else environ
    env = {k: v for k, v in source.items() if k in SETTING_NAMES and v != ""}
    platform = {k: v for k, v in source.items() if k in PLATFORM_NAMES and v != ""}
    problems: list[str] = []
    # App Service hands over the literal reference text when it cannot resolve a Key Vault
    # reference; taken as a value, it would become e.g. a valid global API key.
    for name, value in env.items():
        if value.startswith("@Microsoft.KeyVault("):
            problems.append(f"{name} is an unresolved Key Vault reference: grant the app's identity 'Key Vault Secrets User' (or Officer) on the vault and check the secret exists")

    def required(name: str) -> str:
        if name not in env:
            problems.append(f"{name} is missing (see local.settings.sample.json)")
        return env.get(name, "")

    region = required("SSO_REGION")
    if region and region not in REGIONS:
        problems.append(f"SSO_REGION must be one of {', '.join(REGIONS)}, got {region!r}")
    base_url = _base_url("SSO_PUBLIC_BASE_URL", required("SSO_PUBLIC_BASE_URL"), problems)
    bootstrap = required("SSO_BOOTSTRAP_API_KEY")
    if bootstrap and len(bootstrap) < MIN_BOOTSTRAP_KEY_LENGTH:
        problems.append(f"SSO_BOOTSTRAP_API_KEY must be at least {MIN_BOOTSTRAP_KEY_LENGTH} characters of random data")

    if ("SSO_STORAGE_CONNECTION_STRING" in env) == ("SSO_STORAGE_TABLE_ENDPOINT" in env):
        problems.append("set exactly one of SSO_STORAGE_CONNECTION_STRING (Azurite, dev) or SSO_STORAGE_TABLE_ENDPOINT (managed identity)")
    table_endpoint = env.get("SSO_STORAGE_TABLE_ENDPOINT")
    if table_endpoint:
        table_endpoint = _base_url("SSO_STORAGE_TABLE_ENDPOINT", table_endpoint, problems)

    local_store = "SSO_LOCAL_SECRET_STORE_PATH" in env or "SSO_LOCAL_SECRET_STORE_KEY" in env
    if ("SSO_KEYVAULT_URL" in env) == local_store:
        problems.append("set either SSO_KEYVAULT_URL (Azure) or both SSO_LOCAL_SECRET_STORE_PATH and SSO_LOCAL_SECRET_STORE_KEY (dev), not both")
    elif local_store and not ("SSO_LOCAL_SECRET_STORE_PATH" in env and "SSO_LOCAL_SECRET_STORE_KEY" in env):
        problems.append("the local secret store needs both SSO_LOCAL_SECRET_STORE_PATH and SSO_LOCAL_SECRET_STORE_KEY")
    keyvault_url = env.get("SSO_KEYVAULT_URL")
    if keyvault_url:
        keyvault_url = _base_url("SSO_KEYVAULT_URL", keyvault_url, problems, allow_loopback_http=False)

    authority = _base_url("SSO_ENTRA_AUTHORITY_HOST", env.get("SSO_ENTRA_AUTHORITY_HOST", Settings.entra_authority_host), problems, allow_loopback_http=False)
    ca_bundle = env.get("SSO_CA_BUNDLE")
    if ca_bundle and not os.path.isfile(ca_bundle):
        problems.append(f"SSO_CA_BUNDLE must name a readable PEM file, {ca_bundle!r} does not exist")

    settings_kwargs = dict(
        region=region,
        public_base_url=base_url,
        bootstrap_api_key=bootstrap,
        storage_connection_string=env.get("SSO_STORAGE_CONNECTION_STRING"),
        storage_table_endpoint=table_endpoint,
        keyvault_url=keyvault_url,
        local_secret_store_path=env.get("SSO_LOCAL_SECRET_STORE_PATH"),
        local_secret_store_key=env.get("SSO_LOCAL_SECRET_STORE_KEY"),
        entra_authority_host=authority,
        ca_bundle=ca_bundle,
        allow_loopback_metadata=_flag("SSO_ALLOW_LOOPBACK_METADATA", env.get("SSO_ALLOW_LOOPBACK_METADATA", ""), problems),
        dns_resolver=_host_port("SSO_DNS_RESOLVER", env["SSO_DNS_RESOLVER"], problems) if "SSO_DNS_RESOLVER" in env else None,
        region_urls=_region_urls("SSO_REGION_URLS", env["SSO_REGION_URLS"], problems) if "SSO_REGION_URLS" in env else {},
        graph_host=_base_url("SSO_GRAPH_HOST", env.get("SSO_GRAPH_HOST", Settings.graph_host), problems, allow_loopback_http=False),
        shared_app=_shared_app(env, platform, problems),
        portal_frame_ancestors=_frame_ancestors("SSO_PORTAL_FRAME_ANCESTORS", env.get("SSO_PORTAL_FRAME_ANCESTORS", "'none'"), problems),
    )
    if problems:
        raise SettingsError("entra-sso cannot start; fix these settings:\n  - " + "\n  - ".join(problems))
    return Settings(**settings_kwargs)


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use. Tests that change the environment call
    `get_settings.cache_clear()`."""
    return load_settings()
