"""What the service answers, as typed records. Each keeps the whole answer in `raw`, so a field a
newer stamp adds is not lost on an older client."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

Json = Mapping[str, Any]


def _str(data: Json, name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


def _opt(data: Json, name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) else None


def _strs(data: Json, name: str) -> list[str]:
    value = data.get(name)
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _bool(data: Json, name: str, default: bool = False) -> bool:
    value = data.get(name)
    return value if isinstance(value, bool) else default


def _dict(data: Json, name: str) -> dict[str, Any]:
    value = data.get(name)
    return dict(value) if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Profile:
    """The verified user of a finished sign-in (POST /api/sso/token)."""

    id: str  # stable: the same user through the same connection always gets the same id
    organization: str | None
    connection: str
    protocol: str  # "oidc" or "saml"
    idp_id: str
    entra_tenant_id: str | None
    email: str | None
    email_verified: bool
    name: str | None
    first_name: str | None
    last_name: str | None
    groups: list[str]
    groups_overage: bool
    raw_attributes: dict[str, Any]
    directory_user_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Json) -> Profile:
        return cls(id=_str(data, "id"), organization=_opt(data, "organization"), connection=_str(data, "connection"),
                   protocol=_str(data, "protocol"), idp_id=_str(data, "idp_id"), entra_tenant_id=_opt(data, "entra_tenant_id"),
                   email=_opt(data, "email"), email_verified=_bool(data, "email_verified"), name=_opt(data, "name"),
                   first_name=_opt(data, "first_name"), last_name=_opt(data, "last_name"), groups=_strs(data, "groups"),
                   groups_overage=_bool(data, "groups_overage"), raw_attributes=_dict(data, "raw_attributes"),
                   directory_user_id=_opt(data, "directory_user_id"), raw=dict(data))


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    redirect_uris: list[str]
    allowed_sign_in_methods: list[str]
    default_connection: str | None
    sso_enforcement: str
    sso_required_emails: list[str]
    break_glass_emails: list[str]
    provisioning: str
    notification_webhook_url: str | None
    verified_domains: list[str]
    region: str | None
    etag: str | None
    notification_webhook_secret: str | None = None  # answered once, by the write that set the webhook URL
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Json) -> Organization:
        return cls(id=_str(data, "id"), name=_str(data, "name"), redirect_uris=_strs(data, "redirect_uris"),
                   allowed_sign_in_methods=_strs(data, "allowed_sign_in_methods"), default_connection=_opt(data, "default_connection"),
                   sso_enforcement=_str(data, "sso_enforcement"), sso_required_emails=_strs(data, "sso_required_emails"),
                   break_glass_emails=_strs(data, "break_glass_emails"), provisioning=_str(data, "provisioning"),
                   notification_webhook_url=_opt(data, "notification_webhook_url"), verified_domains=_strs(data, "verified_domains"),
                   region=_opt(data, "region"), etag=_opt(data, "etag"),
                   notification_webhook_secret=_opt(data, "notification_webhook_secret"), raw=dict(data))


@dataclass(frozen=True)
class StatusReason:
    reason: str
    error: str | None
    message: str | None

    @classmethod
    def from_json(cls, data: Json) -> StatusReason:
        return cls(reason=_str(data, "reason"), error=_opt(data, "error"), message=_opt(data, "message"))


@dataclass(frozen=True)
class Connection:
    """An OIDC or SAML connection; the other protocol's fields are None. `redirect_uri` (OIDC) and
    `acs_url`, `sp_entity_id`, `sp_metadata_url` (SAML) are what the admin pastes into Entra."""

    id: str
    organization: str
    protocol: str
    display_name: str
    enabled: bool
    status: str
    status_reasons: list[StatusReason]
    domains: list[str]
    etag: str | None
    entra_tenant_id: str | None = None
    client_id: str | None = None
    client_secret_expires_on: str | None = None
    redirect_uri: str | None = None
    sp_entity_id: str | None = None
    acs_url: str | None = None
    sp_metadata_url: str | None = None
    idp_metadata_url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Json) -> Connection:
        reasons = data.get("status_reasons")
        return cls(id=_str(data, "id"), organization=_str(data, "organization"), protocol=_str(data, "protocol"),
                   display_name=_str(data, "display_name"), enabled=_bool(data, "enabled", True), status=_str(data, "status"),
                   status_reasons=[StatusReason.from_json(r) for r in reasons if isinstance(r, dict)] if isinstance(reasons, list) else [],
                   domains=_strs(data, "domains"), etag=_opt(data, "etag"), entra_tenant_id=_opt(data, "entra_tenant_id"),
                   client_id=_opt(data, "client_id"), client_secret_expires_on=_opt(data, "client_secret_expires_on"),
                   redirect_uri=_opt(data, "redirect_uri"), sp_entity_id=_opt(data, "sp_entity_id"), acs_url=_opt(data, "acs_url"),
                   sp_metadata_url=_opt(data, "sp_metadata_url"), idp_metadata_url=_opt(data, "idp_metadata_url"), raw=dict(data))


@dataclass(frozen=True)
class Check:
    check: str
    ok: bool
    error: str | None
    message: str

    @classmethod
    def from_json(cls, data: Json) -> Check:
        return cls(check=_str(data, "check"), ok=_bool(data, "ok"), error=_opt(data, "error"), message=_str(data, "message"))


@dataclass(frozen=True)
class ConnectionTest:
    """POST .../test: open `test_url` in a browser; the sign-in ends on a diagnostic page."""

    test_url: str
    checks: list[Check]

    @classmethod
    def from_json(cls, data: Json) -> ConnectionTest:
        checks = data.get("checks")
        return cls(test_url=_str(data, "test_url"),
                   checks=[Check.from_json(c) for c in checks if isinstance(c, dict)] if isinstance(checks, list) else [])


@dataclass(frozen=True)
class TxtRecord:
    name: str
    value: str


@dataclass(frozen=True)
class Domain:
    domain: str
    status: str  # "pending" or "verified"
    txt_record: TxtRecord | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Json) -> Domain:
        txt = data.get("txt_record")
        return cls(domain=_str(data, "domain"), status=_str(data, "status"),
                   txt_record=TxtRecord(_str(txt, "name"), _str(txt, "value")) if isinstance(txt, dict) else None, raw=dict(data))


@dataclass(frozen=True)
class Event:
    id: str
    time: str
    type: str
    connection: str | None
    outcome: str
    error: str | None
    detail: dict[str, Any]

    @property
    def correlation_id(self) -> str | None:
        value = self.detail.get("correlation_id")
        return value if isinstance(value, str) else None

    @classmethod
    def from_json(cls, data: Json) -> Event:
        return cls(id=_str(data, "id"), time=_str(data, "time"), type=_str(data, "type"), connection=_opt(data, "connection"),
                   outcome=_str(data, "outcome"), error=_opt(data, "error"), detail=_dict(data, "detail"))


@dataclass(frozen=True)
class ApiKey:
    """A key as listed: never the key itself."""

    id: str
    name: str
    prefix: str
    created: str
    last_used: str | None

    @classmethod
    def from_json(cls, data: Json) -> ApiKey:
        return cls(id=_str(data, "id"), name=_str(data, "name"), prefix=_str(data, "prefix"), created=_str(data, "created"),
                   last_used=_opt(data, "last_used"))


@dataclass(frozen=True)
class CreatedApiKey:
    """A new key: `key` is shown this once; store it now."""

    id: str
    key: str = field(repr=False)
    organization: str | None = None
    name: str = ""

    @classmethod
    def from_json(cls, data: Json) -> CreatedApiKey:
        return cls(id=_str(data, "id"), key=_str(data, "key"), organization=_opt(data, "organization"), name=_str(data, "name"))


@dataclass(frozen=True)
class SignInPolicy:
    password_allowed: bool
    sso_required: bool
    connection: str | None

    @classmethod
    def from_json(cls, data: Json) -> SignInPolicy:
        return cls(password_allowed=_bool(data, "password_allowed"), sso_required=_bool(data, "sso_required"),
                   connection=_opt(data, "connection"))


@dataclass(frozen=True)
class Invitation:
    id: str
    email: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Json) -> Invitation:
        return cls(id=_str(data, "id"), email=_str(data, "email"), raw=dict(data))


@dataclass(frozen=True)
class PendingCertificate:
    """POST .../certificate: upload `certificate_pem` to the app registration, then activate it."""

    certificate_pem: str
    thumbprint: str
    expires_on: str

    @classmethod
    def from_json(cls, data: Json) -> PendingCertificate:
        return cls(certificate_pem=_str(data, "certificate_pem"), thumbprint=_str(data, "thumbprint"), expires_on=_str(data, "expires_on"))


@dataclass(frozen=True)
class DiscoveryResult:
    """GET /auth/sso/discover: `method` "sso" (with organization and connection) or "password"."""

    method: str
    organization: str | None
    connection: str | None

    @classmethod
    def from_json(cls, data: Json) -> DiscoveryResult:
        return cls(method=_str(data, "method"), organization=_opt(data, "organization"), connection=_opt(data, "connection"))
