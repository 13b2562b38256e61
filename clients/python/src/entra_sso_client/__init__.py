"""entra-sso's Python client: build the sign-in URL, exchange the code for a Profile, verify
webhook signatures, and call the admin API with typed results and errors."""
from .client import EntraSso
from .errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    EntraSsoError,
    InvalidSignatureError,
    MethodNotAllowedError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
)
from .models import (
    ApiKey,
    Check,
    Connection,
    ConnectionTest,
    CreatedApiKey,
    DiscoveryResult,
    Domain,
    Event,
    Invitation,
    Organization,
    PendingCertificate,
    Profile,
    SignInPolicy,
    StatusReason,
    TxtRecord,
)
from .signin import sign_in_url
from .webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, verify_webhook

__all__ = [
    "EntraSso", "sign_in_url", "verify_webhook", "SIGNATURE_HEADER", "DELIVERY_HEADER",
    "EntraSsoError", "BadRequestError", "AuthenticationError", "PermissionDeniedError", "NotFoundError",
    "MethodNotAllowedError", "ConflictError", "UnavailableError", "InvalidSignatureError",
    "Profile", "Organization", "Connection", "StatusReason", "ConnectionTest", "Check", "Domain", "TxtRecord", "Event",
    "ApiKey", "CreatedApiKey", "SignInPolicy", "Invitation", "PendingCertificate", "DiscoveryResult",
]
