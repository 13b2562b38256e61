"""Request body of the token exchange (`POST /api/sso/token`), JSON or form-encoded."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.platform.request_body import RequestBody


class TokenRequest(RequestBody):
    missing = {"code": "`code` is required: the one-time code your redirect URI received."}

    code: Annotated[str, Field(max_length=2048, description="The one-time `code` the redirect URI received (valid 60 s, once).")]


class Profile(BaseModel):
    """The verified user (README "HTTP API"): stable `id` per connection, tenant and user."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    id: str
    organization: str
    connection: str
    protocol: Literal["oidc", "saml"]
    idp_id: str = Field(description="Entra's object id (oid) or the SAML NameID.")
    entra_tenant_id: str
    email: str | None
    email_verified: bool = Field(description="True only for an email claim on the org's verified domains that Entra vouches for.")
    name: str | None
    first_name: str | None
    last_name: str | None
    groups: list[str]
    groups_overage: bool = Field(description="Entra sent an overage marker instead of the groups (over 200).")
    raw_attributes: dict


class TokenAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    profile: Profile


class SignInStart(RequestBody):
    """`GET /auth/sso/start`: exactly one of `connection`, `organization`, `email`."""

    connection: str | None = Field(None, description="A connection id (conn_...).")
    organization: str | None = Field(None, description="An organization slug: its `default_connection` (or only one).")
    email: str | None = Field(None, description="Home realm discovery: the org that verified the email's domain.")
    redirect_uri: str = Field(description="Exactly one of the organization's `redirect_uris`.")
    state: str | None = Field(None, max_length=2048, description="Returned unchanged to `redirect_uri`.")
    login_hint: str | None = Field(None, max_length=256)
    prompt: Literal["login", "select_account", "consent", "none"] | None = None


class OidcCallback(RequestBody):
    """What Entra sends to the stamp's redirect URI."""

    state: str = Field(description="The login state the start put in the authorize URL.")
    code: str | None = None
    error: str | None = None
    error_description: str | None = None
    session_state: str | None = None


class SamlPost(RequestBody):
    """What Entra POSTs to the ACS (HTTP-POST binding)."""

    SAMLResponse: str = Field(description="The base64 SAML Response.")
    RelayState: str | None = Field(None, description="The login state (absent for IdP-initiated sign-ins).")
