"""The admin API's request bodies: organizations, connections, credentials, API keys, routing
entries. Each field runs the rule its record module names (FIELD_RULES of shared/orgs), so the
OpenAPI document (GET /api/openapi.json) and the validation are the same model. Rules that need
storage, Entra or several fields at once (a default connection of this org, a policy that locks
everyone out, fields of the other protocol) run after the body is well-formed, in the logic.
"""

from typing import Annotated, Literal

from pydantic import Field

from shared.lifecycle import certificate_credentials
from shared.orgs import connections, organizations
from shared.orgs.records import Enforcement, OverageFallback, Protocol, Provisioning, SignInMethod
from shared.platform import validation as v
from shared.platform.errors import SsoError
from shared.platform.request_body import RequestBody, rule
from shared.platform.settings import REGIONS
from shared.platform.timestamps import utc_now

SLUG_PATTERN = "^[a-z0-9][a-z0-9-]{1,62}$"
CONNECTION_ID_PATTERN = "^conn_[a-z0-9]{20}$"
GUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
DOMAIN_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"

# What the document says of a value beyond its type, for readers and generated clients; the
# rule decides (these are never checked on their own, so they cannot refuse what the rule allows).
Email = Annotated[str, Field(json_schema_extra={"format": "email"})]
Url = Annotated[str, Field(json_schema_extra={"format": "uri", "pattern": "^https://"})]  # plain http: local development only
RedirectUri = Annotated[str, Field(json_schema_extra={"format": "uri"})]  # https, or plain http on loopback
DomainName = Annotated[str, Field(json_schema_extra={"pattern": DOMAIN_PATTERN})]
NOT_BLANK = {"pattern": "\\S"}

_org = organizations.FIELD_RULES
_conn = connections.FIELD_RULES

# -- organizations ------------------------------------------------------------------------

Name = Annotated[str, rule(_org["name"]), Field(min_length=1, max_length=200, description="Shown to admins.", json_schema_extra=NOT_BLANK)]
RedirectUris = Annotated[list[RedirectUri], rule(_org["redirect_uris"]), Field(min_length=1, max_length=20,
                         description="The app's callback URLs (https; http only on loopback); a sign-in's `redirect_uri` must equal one exactly.")]
SignInMethods = Annotated[list[SignInMethod], rule(_org["allowed_sign_in_methods"]), Field(min_length=1)]
DefaultConnection = Annotated[Annotated[str, Field(pattern=CONNECTION_ID_PATTERN)] | None, rule(_org["default_connection"], nullable=True),
                              Field(description="One of the org's own connections, or null.")]
SsoEnforcement = Annotated[Enforcement, rule(_org["sso_enforcement"])]
RequiredEmails = Annotated[list[Email], rule(_org["sso_required_emails"]), Field(max_length=1000)]
BreakGlassEmails = Annotated[list[Email], rule(_org["break_glass_emails"]), Field(max_length=20,
                             description="Admins who may still sign in with a password when SSO is required.")]
ProvisioningMode = Annotated[Provisioning, rule(_org["provisioning"])]
WebhookUrl = Annotated[Annotated[Url, Field(max_length=2048)] | None, rule(_org["notification_webhook_url"], nullable=True),
                       Field(description="A public https URL for expiry alerts; setting it answers `notification_webhook_secret` once.")]


class OrganizationChanges(RequestBody):
    """`PATCH /api/organizations/{org}`: the fields to change, others unchanged."""

    name: Name = None
    redirect_uris: RedirectUris = None
    allowed_sign_in_methods: SignInMethods = None
    default_connection: DefaultConnection = None
    sso_enforcement: SsoEnforcement = None
    sso_required_emails: RequiredEmails = None
    break_glass_emails: BreakGlassEmails = None
    provisioning: ProvisioningMode = None
    notification_webhook_url: WebhookUrl = None
    groups_overage_unavailable: Annotated[OverageFallback, rule(_org["groups_overage_unavailable"]), Field(
        description="When Microsoft Graph cannot list an overage user's groups: `sign_in` (default, with `groups_source` "
                    "`unavailable`) or `fail` the sign-in.")] = None


class NewOrganization(OrganizationChanges):
    """`POST /api/organizations`."""

    missing = {"id": "`id` is required: the organization's slug, e.g. `contoso`.",
               "name": "`name` is required.", "redirect_uris": "`redirect_uris` is required."}

    id: Annotated[str, rule(v.slug), Field(pattern=SLUG_PATTERN, description="The organization's slug, e.g. `contoso`.")]
    name: Name
    redirect_uris: RedirectUris


# -- connections --------------------------------------------------------------------------

def _rule(field: str):
    return rule(_conn[field])


Guid = Annotated[str, Field(pattern=GUID_PATTERN)]


class ConnectionChanges(RequestBody):
    """`PATCH .../connections/{connection}`. OIDC fields apply to OIDC connections only, SAML
    fields to SAML ones (the others are 400 `unknown_field`)."""

    display_name: Annotated[str, _rule("display_name"), Field(min_length=1, max_length=200, json_schema_extra=NOT_BLANK)] = None
    enabled: Annotated[bool, _rule("enabled")] = None
    domains: Annotated[list[DomainName], _rule("domains"), Field(max_length=100, description="Verified domains of the org this connection serves in home realm discovery.")] = None
    # OIDC
    entra_tenant_id: Annotated[str, _rule("entra_tenant_id"), Field(json_schema_extra={"pattern": f"^(organizations|{GUID_PATTERN[1:-1]})$"}, description="OIDC: the Directory (tenant) ID, or `organizations` for a multi-tenant app.")] = None
    allowed_tenant_ids: Annotated[list[Guid], _rule("allowed_tenant_ids"), Field(max_length=500, description="OIDC, multi-tenant only: the tenants allowed to sign in.")] = None
    client_id: Annotated[str, _rule("client_id"), Field(pattern=GUID_PATTERN, description="OIDC: the Application (client) ID.")] = None
    client_secret: Annotated[str, _rule("client_secret"), Field(min_length=1, json_schema_extra=NOT_BLANK, max_length=connections.MAX_CLIENT_SECRET_LENGTH,
                             description="OIDC, on create only: the secret's Value (not its Secret ID).")] = None
    client_secret_expires_on: Annotated[str, _rule("client_secret_expires_on"), Field(pattern=DATE_PATTERN, json_schema_extra={"format": "date"}, description="OIDC: YYYY-MM-DD, not in the past.")] = None
    scopes: Annotated[str, _rule("scopes"), Field(min_length=6, max_length=1000, description="OIDC: space-separated, including `openid`.")] = None
    # SAML
    idp_metadata_url: Annotated[Url, _rule("idp_metadata_url"), Field(max_length=2048, description="SAML: the App Federation Metadata Url (re-read daily).")] = None
    idp_metadata_xml: Annotated[str, _rule("idp_metadata_xml"), Field(min_length=1, max_length=1024 * 1024, description="SAML: the Federation Metadata XML.")] = None
    idp_entity_id: Annotated[str, _rule("idp_entity_id"), Field(min_length=1, max_length=1024)] = None
    idp_sso_url: Annotated[Url, _rule("idp_sso_url"), Field(max_length=2048)] = None
    idp_certificate: Annotated[str, _rule("idp_certificate"), Field(min_length=1, max_length=64 * 1024)] = None
    sp_entity_id: Annotated[str, _rule("sp_entity_id"), Field(min_length=1, max_length=1024, description="SAML: an absolute URI (https URL or URN).",
                                                              json_schema_extra={"format": "uri"})] = None
    attribute_mapping: Annotated[dict[str, str], _rule("attribute_mapping"),
                                 Field(description="SAML: profile field (" + ", ".join(connections.ATTRIBUTE_MAPPING_KEYS) + ") -> SAML attribute name.")] = None
    allow_idp_initiated: Annotated[bool, _rule("allow_idp_initiated")] = None
    sign_authn_requests: Annotated[bool, _rule("sign_authn_requests")] = None


class NewConnection(ConnectionChanges):
    """`POST .../connections`: an OIDC connection needs `entra_tenant_id`, `client_id`,
    `client_secret` and `client_secret_expires_on` (or `credential_type` certificate instead of
    the secret: `pending` until its certificate is activated); a SAML one may start with no IdP
    fields (`pending`)."""

    missing = {"protocol": "`protocol` must be `oidc` or `saml`."}

    protocol: Annotated[Protocol, rule(lambda f, x: _protocol(x))]
    app: Annotated[Literal["own", "shared"], rule(lambda f, x: _app(x)), Field(
        description="`own` (default): the customer's app registration. `shared`: the stamp's own multi-tenant app, "
                    "a one-click connection (OIDC only) that answers `admin_consent_url` and is `pending` until consented.")] = None
    credential_type: Annotated[Literal["secret", "certificate"], rule(lambda f, x: _credential_type(x)), Field(
        description="OIDC, own app: `secret` (default: `client_secret` and `client_secret_expires_on` are required) or `certificate`: "
                    "no secret; the connection is `pending` until POST .../certificate makes a certificate and .../certificate/activate "
                    "proves it with Entra.")] = None


def _app(value) -> str:
    if value not in ("own", "shared"):
        raise SsoError("invalid_field", "`app` is `shared` (the stamp's own multi-tenant app: one-click, protocol oidc) or `own` (your app registration).")
    return value


def _credential_type(value) -> str:
    if value not in ("secret", "certificate"):
        raise v.invalid("credential_type", "`secret` (default) or `certificate`")
    return value


def _protocol(value) -> str:
    if value not in connections.PROTOCOLS:
        raise SsoError("invalid_field", NewConnection.missing["protocol"])
    return value


# -- credentials --------------------------------------------------------------------------

_SECRET_MISSING = "is required: the new secret's Value and its Expires date (YYYY-MM-DD) from Entra."


class NewClientSecret(RequestBody):
    """`POST .../secret`: proven with Entra before it becomes current."""

    missing = {"client_secret": f"`client_secret` {_SECRET_MISSING}", "expires_on": f"`expires_on` {_SECRET_MISSING}"}

    client_secret: Annotated[str, rule(connections.client_secret_value), Field(min_length=1, max_length=connections.MAX_CLIENT_SECRET_LENGTH,
                                                                               json_schema_extra=NOT_BLANK)]
    expires_on: Annotated[str, rule(connections.parse_expiry_date), Field(pattern=DATE_PATTERN, json_schema_extra={"format": "date"},
                                                                          description="The secret's Expires date in Entra, not in the past.")]


class NoBody(RequestBody):
    """No fields: an empty body, or `{}`."""


def _key_size(field: str, value) -> int:
    return certificate_credentials.requested_key_size({field: value})


def _certificate_expiry(field: str, value) -> str:
    certificate_credentials.requested_expiry({field: value}, utc_now().date())
    return value


class NewCertificate(RequestBody):
    """`POST .../certificate` (no body: a 2048-bit key, valid one year)."""

    key_size: Annotated[Literal[2048, 3072], rule(_key_size)] = None
    expires_on: Annotated[str, rule(_certificate_expiry), Field(pattern=DATE_PATTERN, json_schema_extra={"format": "date"},
                                                                description="After today, at most 3 years ahead.")] = None


class CertificateActivation(RequestBody):
    """`POST .../certificate/activate` (no body: the pending certificate)."""

    thumbprint: Annotated[str, rule(lambda f, x: v.text(f, x, max_length=128)), Field(min_length=1, max_length=128,
                          description="Activate only if the pending certificate has this SHA-1 thumbprint (hex, colons allowed).")] = None


# -- API keys and routing entries ---------------------------------------------------------

class NewApiKey(RequestBody):
    """`POST /api/api-keys`: a global key, or one scoped to `organization`."""

    missing = {"name": "`name` is required: say what the key is for."}

    name: Name
    organization: Annotated[Annotated[str, Field(pattern=SLUG_PATTERN)] | None, rule(v.slug, nullable=True),
                            Field(description="The organization the key is scoped to; absent or null: a global key.")] = None


class OrganizationRoute(RequestBody):
    """`PUT /api/organization-routes/{org}`."""

    missing = {"region": "`region` must be one of " + ", ".join(REGIONS) + "."}

    region: Annotated[Literal["us", "eu", "au"], rule(lambda f, x: v.choice(f, x, REGIONS))]


class ListQuery(RequestBody):
    """A page of a list: `next` of the previous page as `cursor`."""

    cursor: str | None = Field(None, max_length=4096, description="The `next` of the previous page.")
    limit: int = Field(50, ge=1, le=100, description="At most this many items (clamped to 1..100).")
