"""Request bodies of the policy routes: a domain claim and an invitation (see shared/platform/request_body.py)."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.platform import validation as v
from shared.platform.request_body import RequestBody, rule
from shared.policy.domains import clean_domain


class DomainClaimRequest(RequestBody):
    """`POST /api/organizations/{org}/domains`: claim a domain, then publish its TXT record."""

    missing = {"domain": "`domain` is required, e.g. {\"domain\": \"contoso.com\"}."}

    domain: Annotated[str, rule(lambda f, x: clean_domain(x)), Field(min_length=4, max_length=253, description="e.g. contoso.com; not a consumer domain.",
                                                                     json_schema_extra={"pattern": r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"})]


class InvitationRequest(RequestBody):
    """`POST /api/organizations/{org}/invitations`."""

    missing = {"email": "`email` is required: the address to admit, e.g. ada@contoso.com."}

    email: Annotated[str, rule(v.email), Field(min_length=3, max_length=320, json_schema_extra={"format": "email"})]


class DiscoverAnswer(BaseModel):
    """`GET /auth/sso/discover`: how this email signs in, from its domain alone."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    method: Literal["password", "sso"]
    organization: str | None = Field(None, description="With `sso`: the organization that verified the domain.")
    connection: str | None = Field(None, description="With `sso`: the connection to start, or null for the org's default.")


class EmailQuery(RequestBody):
    email: str = Field(min_length=3, max_length=320, description="The email to answer for, e.g. ada@contoso.com", json_schema_extra={"format": "email"})
