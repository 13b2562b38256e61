"""Whether a connection's sign-ins fail for a reason in its configuration: its `error` status.

One row per failing connection, `health_<connection id>` in the org's partition of `activity`
(so deleting the org deletes it), holding the stable error code and message of the last such
failure. It is written only on a transition: the first failure, or one with another reason;
and the first sign-in that passes after it deletes it. A sign-in learns whether the row exists
from a short per-instance cache, so a passing sign-in of a healthy connection costs no storage
round trip (one read per CACHE_SECONDS at most); a test sign-in reads it fresh. Writes are best
effort: the sign-in's own outcome never depends on them.

Only failures that name something to fix in the connection or its Entra app count (COUNTED):
not the user's own doing (cancelled, not invited), a stale or replayed browser request, an
outage, or a state the admin already sees (disabled, deleted). Errors Entra returns in the
authorize redirect count only for a test sign-in: anyone can put them in a callback URL.
"""

import logging

from shared.platform.errors import SsoError
from shared.platform.observability import log
from shared.platform.timestamps import iso
from shared.storage import activity, tables
from shared.storage.record import Record
from shared.storage.record_cache import RecordCache

HEALTH_PREFIX = "health_"
CACHE_SECONDS = 15
COUNTED = frozenset({
    "redirect_uri_mismatch", "invalid_client_secret", "client_secret_expired", "invalid_client_certificate",
    "consent_required", "application_not_found", "tenant_not_found", "idp_error",
    "id_token_malformed", "id_token_unsupported_alg", "id_token_unknown_key", "id_token_invalid_signature",
    "id_token_wrong_issuer", "id_token_wrong_tenant", "id_token_wrong_audience", "id_token_missing_claim",
    "saml_signature_invalid", "saml_assertion_unsigned", "saml_deprecated_algorithm", "saml_encrypted_assertion",
    "saml_issuer_mismatch", "saml_audience_mismatch", "saml_destination_mismatch", "saml_recipient_mismatch",
    "saml_name_id_missing", "saml_status_error", "saml_response_too_large",
})


class HealthRecord(Record):
    """The last failure of a connection, in a reason the admin can fix."""

    error: str  # the stable error code
    message: str
    since: str


_cache: RecordCache[tables.Stored[HealthRecord]] = RecordCache(CACHE_SECONDS)


def _row(connection_id: str) -> str:
    return HEALTH_PREFIX + connection_id


def _read(organization: str, connection_id: str) -> tables.Stored[HealthRecord] | None:
    stored = tables.get("activity", organization, _row(connection_id))
    return stored.typed(HealthRecord.from_stored) if stored else None


def current(organization: str, connection_id: str) -> HealthRecord | None:
    """The recorded failure of a connection, read fresh; None when healthy."""
    stored = _known(organization, connection_id, fresh=True)
    return stored.doc if stored else None


def _known(organization: str, connection_id: str, fresh: bool) -> tables.Stored[HealthRecord] | None:
    key = (organization, connection_id)
    if fresh:
        return _cache.remember(key, _read(organization, connection_id))
    return _cache.get(key, lambda _: _read(organization, connection_id))


def _best_effort(what: str, write) -> None:
    try:
        write()
    except (SsoError, tables.AlreadyExists, tables.EtagMismatch) as err:  # another instance wrote first, or storage is down
        log(logging.WARNING, "connection_health_not_written", action=what, reason=type(err).__name__)


def failed(organization: str, connection_id: str, err: SsoError, *, test: bool) -> None:
    if err.code not in COUNTED or (not test and err.detail.get("via") == "authorize_redirect"):
        return
    key = (organization, connection_id)

    def write() -> None:
        known = _known(organization, connection_id, test)
        if known and (known.doc.error, known.doc.message) == (err.code, err.message):
            return
        doc = HealthRecord(error=err.code, message=err.message, since=iso()).to_stored()
        # Through the org's guarded partition: a deleted org gets no health row written back.
        op = tables.Op("update", _row(connection_id), doc, known.etag) if known else tables.Op("create", _row(connection_id), doc)
        activity.transact(organization, [op])
        _cache.forget(key)  # the next read learns the new etag

    _best_effort("failed", write)


def passed(organization: str, connection_id: str, *, test: bool) -> None:
    def write() -> None:
        known = _known(organization, connection_id, test)
        if known:
            tables.delete("activity", organization, _row(connection_id), etag=known.etag)
            _cache.remember((organization, connection_id), None)

    _best_effort("passed", write)


def forget(organization: str, connection_id: str) -> None:
    """A deleted connection leaves no health row behind."""
    tables.delete("activity", organization, _row(connection_id))
    _cache.remember((organization, connection_id), None)
