"""The stored shape of organizations and connections: each field named here once.

organizations.py and connections.py read these from storage and write them back (with their
etag); every other module reads attributes. Timestamps and dates stay the strings they are
stored as (`2026-11-21T23:59:59Z`, `2026-11-21`), so a record round-trips byte for byte.
Fields marked `internal` are kept on the record and never answered by the admin API.
"""

from typing import Literal

from shared.storage.record import Record, internal

SignInMethod = Literal["password", "sso"]
Enforcement = Literal["none", "verified_domains", "listed_users", "directory_users"]
Provisioning = Literal["jit", "invite_only", "directory"]
OverageFallback = Literal["sign_in", "fail"]
Protocol = Literal["oidc", "saml"]
CredentialType = Literal["secret", "certificate"]


class Organization(Record):
    id: str
    name: str
    redirect_uris: list[str]
    allowed_sign_in_methods: list[SignInMethod] = ["password", "sso"]
    default_connection: str | None = None
    sso_enforcement: Enforcement = "none"
    sso_required_emails: list[str] = []
    break_glass_emails: list[str] = []
    provisioning: Provisioning = "jit"
    notification_webhook_url: str | None = None
    # Graph unreachable for a groups overage: sign in with groups_source "unavailable", or fail the sign-in.
    groups_overage_unavailable: OverageFallback = "sign_in"
    region: str | None = None  # the stamp that created it (shared/orgs/regions.py)
    verified_domains: list[str] = []  # set by domain verification only (shared/policy/domains.py)
    created: str | None = None
    updated: str | None = None
    # The version of the org's webhook signing secret (shared/orgs/webhook_secret.py).
    notification_webhook_secret_version: str | None = internal()
    # Its activity partition is guarded by the marker (shared/storage/activity.py, GUARD_FIELD).
    activity_guarded: bool = internal(False)
    # Its directories (shared/directory/), so a sign-in of an org without one reads nothing more.
    directory_ids: list[str] = internal([])


class SpSigning(Record):
    """The SAML SP key pair that signs AuthnRequests: the key in the secret store by version."""

    key_version: str
    certificate_pem: str
    thumbprint: str
    expires_on: str


class CertificateCredential(Record):
    """An OIDC connection's current certificate credential (private_key_jwt)."""

    thumbprint: str
    certificate_pem: str
    key_version: str
    expires_on: str
    activated: str | None = None


class PendingCertificate(Record):
    """A certificate made by POST .../certificate, waiting to be uploaded to Entra and activated."""

    thumbprint: str
    certificate_pem: str
    key_version: str
    expires_on: str
    created: str


class PreviousCredential(Record):
    """The credential the last rotation replaced, by reference (never a value), for rollback:
    a secret (`version`) or a certificate (the CertificateCredential fields)."""

    type: CredentialType
    expires_on: str
    replaced_at: str
    version: str | None = None
    thumbprint: str | None = None
    certificate_pem: str | None = None
    key_version: str | None = None
    activated: str | None = None


class TestFailure(Record):
    """The last failed `POST .../test`: shown as status `error` until a run passes."""

    __test__ = False  # not a pytest test class, despite the name

    at: str
    message: str
    checks: list[str]


class Connection(Record):
    """One Entra app registration of one organization; the fields of the other protocol are absent."""

    id: str
    organization: str
    protocol: Protocol
    display_name: str = ""
    enabled: bool = True
    domains: list[str] = []
    created: str | None = None
    updated: str | None = None
    # OIDC
    entra_tenant_id: str | None = None
    allowed_tenant_ids: list[str] = []
    client_id: str | None = None
    app: Literal["own", "shared"] | None = None  # shared: the stamp's own multi-tenant app (one-click, shared/signin/consent.py)
    consented: str | None = None  # shared: when the tenant's admin consent was proved
    consented_by: str | None = internal()  # shared: the oid of the admin who proved it
    scopes: str | None = None
    credential_type: CredentialType | None = None
    client_secret_expires_on: str | None = None
    client_secret_version: str | None = internal()
    certificate_credential: CertificateCredential | None = internal()
    pending_certificate: PendingCertificate | None = internal()
    previous_credential: PreviousCredential | None = internal()
    previous_client_secret: dict | None = internal()  # written by early versions only; kept unanswered
    # SAML
    sp_entity_id: str | None = None
    attribute_mapping: dict[str, str] = {}  # profile field (saml/entra_claims.py MAPPABLE_FIELDS) -> SAML attribute name
    allow_idp_initiated: bool = False
    sign_authn_requests: bool = False
    idp_metadata_url: str | None = None
    idp_entity_id: str | None = None
    idp_sso_url: str | None = None
    idp_metadata_refreshed: str | None = None
    idp_certificates: list[str] = internal([])
    sp_signing: SpSigning | None = internal()
    # Status inputs, shown as status reasons rather than as fields
    last_error: str | None = internal()  # the last failed metadata refresh
    test_failure: TestFailure | None = internal()
