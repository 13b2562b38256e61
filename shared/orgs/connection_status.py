"""A connection as the admin API shows it: what to paste into Entra, and its status with reasons.

Status, worst first: `disabled`, `pending` (a SAML connection without IdP metadata yet, a
one-click connection before its consent, an OIDC connection before its first certificate), `error`
(a credential or every IdP certificate expired, the last `POST .../test` failed its checks, or
the last sign-in or test sign-in failed for a reason in the connection: connection_health.py),
`secret_expiring` / `certificate_expiring` (within STATUS_WARNING_DAYS), `active`.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from shared.orgs import connection_health
from shared.orgs.connection_health import HealthRecord
from shared.orgs.records import Connection
from shared.platform.certificates import certificate_facts
from shared.platform.errors import SsoError
from shared.platform.settings import get_settings
from shared.platform.timestamps import iso, parse_iso, utc_now

STATUS_WARNING_DAYS = 30
PENDING_MESSAGE = ("The IdP metadata is not set yet: paste sp_entity_id and acs_url into the Entra enterprise app, then PATCH this "
                   "connection with `idp_metadata_url` (its App Federation Metadata Url). Sign-ins are refused until then.")
CONSENT_PENDING_MESSAGE = ("Waiting for the Entra admin consent: an admin of your Entra tenant opens the admin_consent_url that creating "
                           "this connection answered, accepts, and signs in once. Sign-ins are refused until then.")
CERTIFICATE_PENDING_MESSAGE = ("The connection has no credential yet: upload its certificate (POST .../certificate answers it) to the app "
                               "registration in Entra (Certificates & secrets > Certificates > Upload certificate), then POST "
                               ".../certificate/activate. Sign-ins are refused until Entra has accepted it.")
ROLLBACK_WINDOW = timedelta(days=7)  # how long after a rotation the previous credential can be restored


def _days_left(day: date, today: date) -> int:
    return (day - today).days


def awaits_certificate(doc: Connection) -> bool:
    """An OIDC connection of the customer's own app created to prove itself with a certificate
    (`credential_type` certificate): no credential until its first certificate is activated."""
    return (doc.protocol == "oidc" and doc.app != "shared" and doc.credential_type == "certificate" and not doc.certificate_credential
            and not doc.client_secret_version)


def is_pending(doc: Connection) -> bool:
    """A SAML connection created before its IdP metadata existed, a one-click connection whose
    admin consent is not proved yet (shared/signin/consent.py), or an OIDC connection whose
    first certificate is not activated yet."""
    return (doc.protocol == "saml" and not doc.idp_entity_id) or (doc.app == "shared" and not doc.entra_tenant_id) or awaits_certificate(doc)


def refuse_unusable(doc: Connection) -> None:
    """For the sign-in path: a pending connection cannot sign anyone in."""
    if doc.app == "shared" and not doc.entra_tenant_id:
        raise SsoError("admin_consent_missing", "This connection waits for its Entra admin consent: open the connection's admin_consent_url as an admin of the tenant and accept.")
    if awaits_certificate(doc):
        raise SsoError("connection_pending", CERTIFICATE_PENDING_MESSAGE)
    if is_pending(doc):
        raise SsoError("connection_pending")


def status_of(doc: Connection, today: date | None = None, health: HealthRecord | None = None) -> tuple[str, list[dict]]:
    today = today or datetime.now(timezone.utc).date()
    if not doc.enabled:
        return "disabled", [{"reason": "disabled", "message": "The connection is disabled."}]
    if doc.app == "shared" and not doc.entra_tenant_id:
        return "pending", [{"reason": "admin_consent_missing", "message": CONSENT_PENDING_MESSAGE}]
    if awaits_certificate(doc):
        return "pending", [{"reason": "certificate_not_activated", "message": CERTIFICATE_PENDING_MESSAGE}]
    if is_pending(doc):
        return "pending", [{"reason": "idp_metadata_missing", "message": PENDING_MESSAGE}]
    reasons: list[dict] = []
    if doc.protocol == "oidc" and doc.app != "shared":  # the shared app's credential is the stamp's: nothing expires here
        credential = doc.certificate_credential
        if credential:
            days = _days_left(date.fromisoformat(credential.expires_on), today)
            kind, what = "certificate", "The certificate credential"
        else:
            days = _days_left(date.fromisoformat(doc.client_secret_expires_on), today)
            kind, what = "secret", "The client secret"
        if days < 0:
            reasons.append({"reason": f"{kind}_expired", "days_left": days, "message": f"{what} expired {-days} day(s) ago: sign-ins fail until it is rotated."})
        elif days <= STATUS_WARNING_DAYS:
            reasons.append({"reason": f"{kind}_expiring", "days_left": days, "message": f"{what} expires in {days} day(s): rotate it."})
    else:
        expiries = [certificate_facts(pem)[1].date() for pem in doc.idp_certificates]
        if expiries:
            days = _days_left(max(expiries), today)
            if days < 0:
                reasons.append({"reason": "certificate_expired", "days_left": days, "message": "Every IdP signing certificate has expired: add the new one from Entra."})
            elif days <= STATUS_WARNING_DAYS:
                reasons.append({"reason": "certificate_expiring", "days_left": days, "message": f"The IdP signing certificate expires in {days} day(s): roll it over in Entra."})
    if doc.last_error:
        reasons.append({"reason": "error", "message": doc.last_error})
    if doc.test_failure:  # set by a failed POST .../test, cleared by one that passes
        reasons.append({"reason": "test_failed", "message": doc.test_failure.message, "checks": doc.test_failure.checks})
    if health:  # until a sign-in or test passes
        reasons.append({"reason": "error", "error": health.error, "message": f"The last sign-in failed ({health.since}): {health.message}",
                        "since": health.since})
    if any(r["reason"].endswith("_expired") or r["reason"] in ("error", "test_failed") for r in reasons):
        return "error", reasons
    if reasons:
        return reasons[0]["reason"], reasons
    return "active", []


def _setup_fields(doc: Connection) -> dict:
    base = get_settings().public_base_url
    if doc.protocol == "oidc":
        return {"redirect_uri": get_settings().oidc_redirect_uri}
    return {
        "acs_url": f"{base}/auth/sso/saml/{doc.id}/acs",
        "sp_entity_id": doc.sp_entity_id,
        "sp_metadata_url": f"{base}/auth/sso/saml/{doc.id}/metadata",
        "idp_certificates": [
            {"thumbprint": thumbprint, "expires_on": expires.date().isoformat()}
            for thumbprint, expires in map(certificate_facts, doc.idp_certificates)
        ],
    }


def rollback_deadline(doc: Connection) -> datetime | None:
    """Until when the credential replaced by the last rotation can be restored (None: nothing to restore)."""
    previous = doc.previous_credential
    return parse_iso(previous.replaced_at) + ROLLBACK_WINDOW if previous else None


def _credential_fields(doc: Connection) -> dict:
    """An OIDC connection's credentials as the admin sees them: which kind is current, the
    certificate's thumbprint and expiry (never a key or secret), and until when a rollback works."""
    if doc.protocol != "oidc":
        return {}
    if doc.app == "shared":
        return {"credential_type": "shared_app"}
    certificate, pending = doc.certificate_credential, doc.pending_certificate
    deadline = rollback_deadline(doc)
    until = iso(deadline) if deadline and deadline > utc_now() else None
    return {
        "credential_type": "certificate" if certificate or awaits_certificate(doc) else "secret",
        "certificate": {"thumbprint": certificate.thumbprint, "expires_on": certificate.expires_on} if certificate else None,
        "pending_certificate": {"thumbprint": pending.thumbprint, "expires_on": pending.expires_on, "created": pending.created} if pending else None,
        "rollback_available_until": until,
    }


def public_view(doc: Connection, etag: str | None = None) -> dict:
    status, reasons = status_of(doc, health=connection_health.current(doc.organization, doc.id))
    view = doc.public()
    view.update(_setup_fields(doc), **_credential_fields(doc), status=status, status_reasons=reasons)
    if etag:
        view["etag"] = etag
    return view
