"""What the admin API answers, as models for the OpenAPI document: each record's public fields
(shared/storage/record.py `public_model`, so a field added to a record is documented at once)
plus what the view adds (etags, status, setup values for Entra). Extra fields are allowed where
the answer is a stored record, which keeps fields it does not know.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.orgs.api_keys import ApiKey
from shared.orgs.events import Event
from shared.orgs.records import Connection, Organization
from shared.orgs.regions import Route
from shared.policy.invitations import Invitation


class View(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)


Etag = Field(description="The record's etag (also the ETag header): send it as If-Match to change it only if nobody else did.")

OrganizationView = Organization.public_model(
    "OrganizationView", etag=(str, Etag),
    notification_webhook_secret=(str, Field(None, description="Answered once, by the write that set `notification_webhook_url`: "
                                                              "the HMAC key of the `Entra-SSO-Signature` header.")),
)


class StatusReason(View):
    reason: str = Field(description="disabled, idp_metadata_missing, secret_expiring, secret_expired, certificate_expiring, "
                                    "certificate_expired, error, test_failed")
    message: str
    days_left: int | None = None
    error: str | None = Field(None, description="The stable error code of the last failed sign-in.")
    since: str | None = None
    checks: list[str] | None = None


class IdpCertificate(View):
    thumbprint: str
    expires_on: str


class CertificateFacts(View):
    thumbprint: str
    expires_on: str
    created: str | None = None


ConnectionView = Connection.public_model(
    "ConnectionView",
    status=(Literal["disabled", "pending", "error", "secret_expiring", "certificate_expiring", "active"], ...),
    status_reasons=(list[StatusReason], ...),
    etag=(str, Field(None, description=Etag.description)),
    redirect_uri=(str, Field(None, description="OIDC: the redirect URI to register in Entra (Web platform).")),
    acs_url=(str, Field(None, description="SAML: the Reply URL (ACS) to set in Entra.")),
    sp_metadata_url=(str, Field(None, description="SAML: this connection's SP metadata.")),
    idp_certificates=(list[IdpCertificate], Field(None, description="SAML: the IdP signing certificates in use.")),
    certificate=(CertificateFacts | None, Field(None, description="OIDC: the current certificate credential, if any.")),
    pending_certificate=(CertificateFacts | None, Field(None, description="OIDC: a certificate waiting for activation.")),
    rollback_available_until=(str | None, Field(None, description="OIDC: until when POST .../secret/rollback restores the replaced credential.")),
    admin_consent_url=(str, Field(None, description="A one-click connection (`app: shared`), answered by its creation: the URL the "
                                                    "customer's Entra admin opens to grant admin consent.")),
)


class ConnectionList(View):
    items: list[ConnectionView]
    next: str | None = Field(description="Always null: an organization's connections fit in one page.")


class Check(View):
    check: str
    ok: bool
    error: str | None = None
    message: str | None = None


class TestSignIn(View):
    __test__ = False  # not a pytest test class, despite the name

    test_url: str = Field(description="Open it in a browser: a one-time sign-in ending on a diagnostic page; no code is issued.")
    checks: list[Check]


class NewCertificateAnswer(View):
    certificate_pem: str
    thumbprint: str
    expires_on: str
    certificate_cer_base64: str = Field(description="The same certificate as a .cer file (DER), base64.")
    key_size: int
    status: Literal["pending"]


class TxtRecord(View):
    name: str
    value: str


class DomainClaimView(View):
    domain: str
    status: Literal["pending", "verified"]
    txt_record: TxtRecord = Field(description="Publish this TXT record, then POST .../verify.")


class DomainClaimList(View):
    items: list[DomainClaimView]
    next: str | None = Field(description="The cursor of the next page, or null.")


class SignInPolicyAnswer(View):
    password_allowed: bool
    sso_required: bool
    connection: str | None = Field(description="The connection this email would sign in with, or null.")


InvitationView = Invitation.public_model("InvitationView")


class InvitationList(View):
    items: list[InvitationView]
    next: str | None


EventView = Event.public_model("EventView")


class EventList(View):
    items: list[EventView]
    next: str | None = Field(description="The cursor of the next (older) page, or null.")


ApiKeyCreated = ApiKey.public_model("ApiKeyCreated", key=(str, Field(description="The key itself, shown once: store it now.")))

RouteView = Route.public_model("RouteView")


class HealthAnswer(View):
    status: Literal["ok", "unavailable"]
    checks: dict[str, Literal["ok", "unavailable"]]
