"""Login states and one-time codes: the single-use life of one sign-in.

A login is a row `login_<id>` in the org's partition of the `activity` table:

    start      insert, status `pending`                                   1 round trip
    callback   read; then in ONE transaction: the row becomes              2 round trips
               `code_issued` (if still unchanged: etag) + the sign-in event
               (+ the SAML assertion id's replay row)
    token      read; the row becomes `redeemed` (if still unchanged: etag)  2 round trips
               and loses the profile; purge_expired removes it later

The etag makes each step single use: of two concurrent callbacks with one state, or two
concurrent exchanges of one code, exactly one commits. Every step is a conditional replace
(or an insert), never a conditional delete: azure-data-tables' delete_entity reports success
when the row is already gone, so every racer that read the row would "win" a delete. A failed callback records its event but leaves the state pending, so a fast failure
racing a slow success can never cancel the success. The state sent to the IdP and the code
given to the app both start with the org slug, which names the partition without a lookup.
Only a hash of the code is stored.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Literal

from shared.orgs import api_keys, events
from shared.platform import validation as v
from shared.platform.errors import SsoError
from shared.platform.timestamps import utc_now
from shared.storage import activity, tables
from shared.storage.record import Record, internal

LOGIN_PREFIX = "login_"
REPLAY_PREFIX = "replay_"
LOGIN_LIFETIME = timedelta(minutes=10)
CODE_LIFETIME = timedelta(seconds=60)


class Login(Record):
    """One sign-in, from its start to its code's redemption (the module docstring's life)."""

    id: str
    organization: str
    connection: str
    protocol: Literal["oidc", "saml"]
    status: Literal["pending", "code_issued", "done", "redeemed"]
    expires_at: str
    redirect_uri: str | None = None  # the app's, checked at the start; an IdP-initiated one: the org's first
    app_state: str = ""
    test: bool = False  # an admin's test sign-in: ends on the diagnostic page, issues no code
    idp_initiated: bool = False
    flow: dict | None = internal()  # MSAL's authorization-code flow (PKCE verifier, nonce): OIDC
    saml_request_id: str | None = None  # the AuthnRequest the response must answer: SAML
    profile: dict | None = internal()  # while a code is issued
    code_hash: str | None = internal()
    consent_tenant: str | None = internal()  # a one-click connection's consent proof (consent.py), not a sign-in
    tenant_type: str | None = internal()  # Sign in with Microsoft for any account (microsoft_sign_in.py)

    def expired(self) -> bool:
        return datetime.fromisoformat(self.expires_at) < utc_now()

    def indexed(self) -> dict:
        return {"expires_at": datetime.fromisoformat(self.expires_at)}


def _split(value: str | None, parts: int) -> list[str] | None:
    """The dot-separated pieces of a state or code, or None when malformed. Pieces become the
    partition and row key, so each must be a valid key (no `/`, `#`, control character...):
    checked here, before any storage call, a bad one is `invalid_state`/`invalid_grant`."""
    if not isinstance(value, str) or len(value) > 300:
        return None
    pieces = value.split(".")
    return pieces if len(pieces) == parts and all(v.is_storage_key(piece) for piece in pieces) else None


def new_state(organization: str) -> str:
    """A fresh state id `<org>.<random>`: the only handle on a login, sent to the IdP."""
    return f"{organization}.{secrets.token_urlsafe(24)}"


def start(state: str, **fields) -> None:
    """Stores the pending login named by `state` (`fields`: Login's, those the start knows)."""
    organization, login_id = state.split(".")
    login = Login.from_stored({**fields, "id": login_id, "organization": organization, "status": "pending",
                               "expires_at": (utc_now() + LOGIN_LIFETIME).isoformat()})
    activity.insert(organization, LOGIN_PREFIX + login_id, login.to_stored(), login.indexed())


def _read(organization: str, login_id: str) -> tables.Stored[Login] | None:
    stored = tables.get("activity", organization, LOGIN_PREFIX + login_id)
    return stored.typed(Login.from_stored) if stored else None


def read_pending(state: str | None) -> tables.Stored[Login]:
    """The pending login named by `state`; `invalid_state` when unknown, used or expired."""
    pieces = _split(state, 2)
    stored = _read(*pieces) if pieces else None
    if stored is None or stored.doc.status != "pending":
        raise SsoError("invalid_state")
    if stored.doc.expired():
        raise SsoError("login_expired")
    return stored


def _commit(login: tables.Stored[Login], new: Login, event: tables.Op, extra: list[tables.Op]) -> None:
    try:
        activity.transact(login.partition_key, [tables.Op("update", login.row_key, new.to_stored(), login.etag, new.indexed()), event, *extra])
    except (tables.EtagMismatch, activity.OrganizationGone):
        raise SsoError("invalid_state") from None
    except tables.AlreadyExists:
        raise SsoError("saml_assertion_replayed") from None


def replay_op(assertion_id: str, keep_until: datetime) -> tables.Op:
    """A SAML assertion id, inserted in the commit: a second use of it fails the whole commit."""
    key = REPLAY_PREFIX + hashlib.sha256(assertion_id.encode()).hexdigest()
    return tables.Op("create", key, {"expires_at": keep_until.isoformat()}, indexed={"expires_at": keep_until})


def _with_code(login: Login, profile: dict) -> tuple[Login, str]:
    """`login` turned into an issued code for `profile` (only its hash kept), and the code's secret."""
    secret = secrets.token_urlsafe(32)
    return login.replace(status="code_issued", profile=profile, expires_at=(utc_now() + CODE_LIFETIME).isoformat(),
                         code_hash=hashlib.sha256(secret.encode()).hexdigest()), secret


def issue_code(login: tables.Stored[Login], profile: dict, event: tables.Op, extra: list[tables.Op] = ()) -> str:
    """Marks the login used and stores a one-time code for `profile`, atomically with the event."""
    new, secret = _with_code(login.doc, profile)
    _commit(login, new, event, list(extra))
    return f"{login.partition_key}.{login.row_key[len(LOGIN_PREFIX):]}.{secret}"


def finish_without_code(login: tables.Stored[Login], event: tables.Op, extra: list[tables.Op] = ()) -> None:
    """Marks a test sign-in used (it ends on the diagnostic page, with no code)."""
    _commit(login, login.doc.replace(status="done"), event, list(extra))


def issue_unsolicited_code(organization: str, profile: dict, event: tables.Op, extra: list[tables.Op], **fields) -> str:
    """An IdP-initiated sign-in has no stored login: create it already used, with its code
    (`fields`: the Login's connection, protocol and redirect URI)."""
    login_id = secrets.token_urlsafe(24)
    unsolicited = Login.from_stored({**fields, "id": login_id, "organization": organization, "status": "pending",
                                     "expires_at": utc_now().isoformat(), "app_state": "", "idp_initiated": True})
    login, secret = _with_code(unsolicited, profile)
    created = tables.Op("create", LOGIN_PREFIX + login_id, login.to_stored(), indexed=login.indexed())
    try:
        activity.transact(organization, [created, event, *extra])
    except tables.AlreadyExists:
        raise SsoError("saml_assertion_replayed") from None
    return f"{organization}.{login_id}.{secret}"


def redeem_code(code: str | None, caller_organization: str | None, key_guard: tables.Op | None = None) -> dict:
    """The profile behind a one-time code, once. Any failure is `invalid_grant` (no oracle).
    `key_guard`: the calling API key's guard op (api_keys.authenticate_within), made part of the spend."""
    pieces = _split(code, 3)
    if not pieces or (caller_organization is not None and pieces[0] != caller_organization):
        raise SsoError("invalid_grant")
    stored = _read(pieces[0], pieces[1])
    if (
        stored is None
        or stored.doc.status != "code_issued"
        or not hmac.compare_digest(stored.doc.code_hash or "", hashlib.sha256(pieces[2].encode()).hexdigest())
        or stored.doc.expired()
    ):
        raise SsoError("invalid_grant")
    spent = stored.doc.without("profile", "code_hash").replace(status="redeemed")
    # The guard: a replace fails (412, or 404 once purged) for all but one reader of the row; in
    # the org's guarded partition, so a code is worthless from the moment its org is being deleted.
    spend = tables.Op("update", stored.row_key, spent.to_stored(), stored.etag, spent.indexed())
    try:
        activity.transact(stored.partition_key, [spend, *([key_guard] if key_guard else [])])
    except (tables.EtagMismatch, activity.OrganizationGone):
        raise SsoError("invalid_grant") from None
    return stored.doc.profile


def redeem_code_for(code: str | None, principal: api_keys.Principal, key_guard: tables.Op | None) -> dict:
    """`redeem_code` for the API key `principal`, trusted on `key_guard` (api_keys.authenticate_within):
    a failure reads the key (401 once revoked); when the key's guard row was missing and is made
    again, the spend is tried once more, the key just read."""
    try:
        return redeem_code(code, principal.organization, key_guard)
    except SsoError:
        if key_guard is None or not api_keys.recheck(principal):
            raise
    return redeem_code(code, principal.organization)


def event_type(test: bool) -> str:
    return "test_sign_in" if test else "sign_in"


def sign_in_event(login: Login, *, outcome: str, error: str | None = None, detail: dict | None = None) -> tables.Op:
    return events.event_op(event_type(login.test), connection=login.connection, outcome=outcome, error=error, detail=detail)
