"""One-click connections: the customer's Entra admin consents to the stamp's shared app, and the
connection is bound to their tenant only once that is proved.

    create     a consent request row `consent_<id>` (org's activity partition), pending; the
               admin gets Entra's admin consent URL with state `<org>.<id>`
    consent    GET /auth/sso/microsoft/consent: the request is spent (etag-conditional update:
               of concurrent callbacks with one state exactly one goes on). Entra's answer is
               not proof: anyone can write `admin_consent=True&tenant=<any tenant>` into that
               URL. So the browser is sent to sign in through the shared app in the named
               tenant, as a login whose `consent_tenant` is that tenant.
    callback   GET /auth/sso/microsoft/callback (finish): the ID token is verified pinned to
               that tenant (issuer, `tid`, audience, nonce), its `wids` must name a role that
               can grant admin consent, then a client-credentials request in the tenant proves
               the consent exists. Only then is the tenant written on the connection (if it is
               still pending: etag), and the login is spent.

Any failure leaves the connection pending and shows the error page with its fix.
"""

import secrets
from datetime import datetime, timedelta
from typing import Literal, Mapping

from shared.oidc import entra_client
from shared.oidc.entra_id_token import validate_id_token
from shared.oidc.entra_tenant import CONSUMER_TENANT_ID, is_tenant_guid
from shared.orgs import connections, events
from shared.orgs.records import Connection
from shared.platform import validation as v
from shared.platform.errors import SsoError
from shared.platform.observability import set_request_organization
from shared.platform.timestamps import iso, utc_now
from shared.shared_app import app as shared_app
from shared.signin import logins
from shared.signin.outcome import Notice
from shared.storage import activity, tables
from shared.storage.record import Record

CONSENT_PREFIX = "consent_"
CONSENT_LIFETIME = timedelta(hours=24)  # the URL may be mailed to the customer's admin
PROOF_SCOPES = "openid profile"


class ConsentRequest(Record):
    id: str
    organization: str
    connection: str
    status: Literal["pending", "answered"]
    expires_at: str
    expected_tenant: str | None = None  # the admin API named the tenant: another one is refused

    def expired(self) -> bool:
        return datetime.fromisoformat(self.expires_at) < utc_now()

    def indexed(self) -> dict:
        return {"expires_at": datetime.fromisoformat(self.expires_at)}


def is_pending(doc: Connection) -> bool:
    """A one-click connection whose tenant is not proved yet."""
    return doc.app == "shared" and not doc.entra_tenant_id


def request_consent(connection: Connection, expected_tenant: str | None) -> str:
    """Stores a pending consent request for `connection`; answers the admin consent URL."""
    request_id = secrets.token_urlsafe(24)
    request = ConsentRequest(id=request_id, organization=connection.organization, connection=connection.id, status="pending",
                             expires_at=(utc_now() + CONSENT_LIFETIME).isoformat(), expected_tenant=expected_tenant)
    activity.insert(connection.organization, CONSENT_PREFIX + request_id, request.to_stored(), request.indexed())
    return shared_app.admin_consent_url(f"{connection.organization}.{request_id}")


def _spend_request(state: str | None) -> ConsentRequest:
    pieces = state.split(".") if isinstance(state, str) and len(state) <= 300 else []
    if len(pieces) != 2 or not all(v.is_storage_key(piece) for piece in pieces):
        raise SsoError("invalid_state")
    stored = tables.get("activity", pieces[0], CONSENT_PREFIX + pieces[1])
    request = stored.typed(ConsentRequest.from_stored) if stored else None
    if request is None or request.doc.status != "pending":
        raise SsoError("invalid_state")
    set_request_organization(request.doc.organization)
    if request.doc.expired():
        raise SsoError("consent_expired")
    spent = request.doc.replace(status="answered")
    try:
        activity.transact(request.partition_key, [tables.Op("update", request.row_key, spent.to_stored(), request.etag, spent.indexed())])
    except (tables.EtagMismatch, activity.OrganizationGone):
        raise SsoError("invalid_state") from None
    return request.doc


def _pending_connection(organization: str, connection_id: str) -> tables.Stored[Connection]:
    stored = connections.get(connection_id)
    if stored is None or stored.doc.organization != organization or stored.doc.app != "shared":
        raise SsoError("unknown_connection", "The connection this consent was for was deleted; create it again.")
    if not is_pending(stored.doc):
        raise SsoError("consent_already_bound")
    return stored


def _refused(request_org: str, connection_id: str, err: SsoError) -> SsoError:
    try:
        events.record(request_org, "connection.consent", connection=connection_id, outcome="failed", error=err.code, detail={"message": err.message})
    except SsoError:
        pass  # storage down: the page still says what happened
    return err


def answer(params: Mapping[str, str]) -> str:
    """Entra's admin consent answer: spends the request, then answers the URL where the admin
    proves the consent by signing in (or raises the refusal, with its fix)."""
    request = _spend_request(params.get("state"))
    org, connection_id = request.organization, request.connection
    if params.get("error"):
        code = "admin_consent_declined" if params.get("error") == "access_denied" else "admin_consent_failed"
        raise _refused(org, connection_id, SsoError(code))
    tenant = (params.get("tenant") or "").lower()
    if params.get("admin_consent") != "True" or not is_tenant_guid(tenant) or tenant == CONSUMER_TENANT_ID:
        raise _refused(org, connection_id, SsoError("admin_consent_failed", "Entra's answer names no organization tenant that consented; consent again with the URL the connection gave."))
    if request.expected_tenant and tenant != request.expected_tenant:
        raise _refused(org, connection_id, SsoError("consent_tenant_mismatch", f"The consent came from tenant {tenant}, not {request.expected_tenant} as the connection expects; sign in to the expected tenant and consent again."))
    _pending_connection(org, connection_id)
    state = logins.new_state(org)
    flow, url = entra_client.start_auth_code_flow(shared_app.registration(connection_id, tenant), scopes=PROOF_SCOPES, state=state)
    logins.start(state, connection=connection_id, protocol="oidc", redirect_uri=None, app_state="", test=False, flow=flow,
                 consent_tenant=tenant)
    return url


def finish(login: tables.Stored[logins.Login], params: Mapping[str, str]) -> Notice:
    """The admin's sign-in back at the callback: verify, prove, bind (see the module docstring)."""
    org, connection_id, tenant = login.partition_key, login.doc.connection, login.doc.consent_tenant
    set_request_organization(org)
    try:
        stored = _pending_connection(org, connection_id)
        registration = shared_app.registration(connection_id, tenant)
        token = entra_client.finish_auth_code_flow(registration, login.doc.flow, params)
        claims = validate_id_token(token.id_token, client_id=registration.client_id, entra_tenant_id=tenant, nonce=token.nonce)
        roles = shared_app.consent_roles(claims)
        if not roles:
            raise SsoError("consent_not_admin")
        try:
            entra_client.probe_credential(registration)
        except SsoError as err:
            if err.code in ("application_not_found", "consent_required"):
                raise SsoError("admin_consent_missing", detail=err.detail) from None
            raise
        bound = stored.doc.replace(entra_tenant_id=tenant, consented=iso(), consented_by=claims["oid"])
        connections.save(bound, stored.etag)  # 409 when it changed (another proof bound it)
    except SsoError as err:
        raise _refused(org, connection_id, err) from None
    event = events.event_op("connection.consent", connection=connection_id, outcome="ok",
                            detail={"entra_tenant_id": tenant, "admin": claims["oid"], "roles": roles})
    try:
        logins.finish_without_code(login, event)
    except SsoError:
        pass  # the connection is bound; a concurrent callback with this login lost its race to record it
    return Notice("Connected", f"Organization {org} now signs in with Microsoft Entra tenant {tenant} through this service's app. "
                               "You can close this page.")


def latest_request(organization: str, connection_id: str) -> ConsentRequest | None:
    """The newest consent request of a one-click connection (the setup portal shows its admin
    consent URL again, and whether Entra has answered it); None when none is left."""
    rows = tables.query_all("activity", tables.PREFIX_FILTER, {"partition": organization, **tables.prefix_range(CONSENT_PREFIX)}, limit=200)
    found = [ConsentRequest.from_stored(row.doc) for row in rows]
    mine = [request for request in found if request.connection == connection_id]
    return max(mine, key=lambda request: request.expires_at) if mine else None


def consent_url(request: ConsentRequest) -> str:
    """The admin consent URL of a stored request (the same one its creation answered)."""
    return shared_app.admin_consent_url(f"{request.organization}.{request.id}")
