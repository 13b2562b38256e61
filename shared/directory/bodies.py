"""The directory admin routes' bodies (functions/admin_directories.py): requests validated by
shared/web/http.py `read_body` (every problem in one 400) and the answers, as the OpenAPI
document describes them. Request fields are strict (no "true" for true, no 5 for "5"), as before."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.directory import directories
from shared.platform.request_body import RequestBody, rule

# A date as YYYY-MM-DD after today, within the longest life; absent or null: a year from today.
TokenExpiry = Annotated[str | None, rule(lambda field, value: directories.token_expiry(value), nullable=True),
                        Field(description="YYYY-MM-DD; default a year from today", json_schema_extra={"format": "date"})]


class DirectoryCreate(RequestBody):
    """`POST /api/organizations/{org}/directories`."""

    model_config = ConfigDict(strict=True)
    missing = {"name": "`name` is required: what the directory is called, e.g. {\"name\": \"Entra\"}."}

    name: str = Field(min_length=1, max_length=200)
    connection: str | None = None
    token_expires_on: TokenExpiry = None
    idp_id_attribute: Literal["externalId"] | None = Field(None, description="the SCIM attribute the admin mapped Entra's objectId to")


class DirectoryPatch(RequestBody):
    """`PATCH .../directories/{directory}`: the fields to change, others unchanged."""

    model_config = ConfigDict(strict=True)

    name: str | None = Field(None, min_length=1, max_length=200)
    connection: str | None = None
    idp_id_attribute: Literal["externalId"] | None = None


class DirectoryTokenRequest(RequestBody):
    """`POST .../directories/{directory}/token` (the body is optional)."""

    model_config = ConfigDict(strict=True)

    token_expires_on: TokenExpiry = None
    grace_period_hours: int = Field(0, ge=0, le=directories.MAX_GRACE_HOURS, description="how long the old token keeps working")


class UserPatch(RequestBody):
    """`PATCH .../directories/{directory}/users/{id}`."""

    model_config = ConfigDict(strict=True)
    missing = {"sso_required": "`sso_required` is required: true to require SSO of this user, false to stop requiring it."}

    sso_required: bool


class DirectoryView(BaseModel):
    model_config = ConfigDict(defer_build=True)  # its schema is built on first use, not at cold start
    id: str
    organization: str
    name: str
    connection: str | None
    status: str
    token_expires_on: str
    idp_id_attribute: str | None = None
    scim_base_url: str
    scim_base_url_compatible: str
    scim_base_url_note: str
    created: str
    updated: str
    token: str | None = Field(None, description="shown once, when created")


class DirectoryList(BaseModel):
    model_config = ConfigDict(defer_build=True)  # its schema is built on first use, not at cold start
    items: list[DirectoryView]
    next: str | None = Field(description="Always null: an organization's directories fit in one page.")


class TokenView(BaseModel):
    model_config = ConfigDict(defer_build=True)  # its schema is built on first use, not at cold start
    token: str
    token_expires_on: str
    previous_token_valid_until: str | None


class Page(BaseModel):
    model_config = ConfigDict(defer_build=True)  # its schema is built on first use, not at cold start
    items: list[dict]
    next: str | None = Field(description="The cursor of the next page, or null.")


class DirectoryUserView(BaseModel):
    model_config = ConfigDict(defer_build=True)  # its schema is built on first use, not at cold start
    id: str
    directory: str
    idp_id: str | None
    user_name: str | None
    emails: list[dict]
    first_name: str | None
    last_name: str | None
    active: bool
    state: str
    sso_required: bool
    groups: list[dict] = []
    raw_attributes: dict
    created: str
    updated: str


class EventPage(BaseModel):
    model_config = ConfigDict(defer_build=True)  # its schema is built on first use, not at cold start
    items: list[dict]
    next: str | None = Field(description="Send it back as `after` for what happened since; the feed is oldest first.")
