"""Entra's v2.0 OpenID Connect endpoints: discovery, keys, authorize and token.

Where an error lands follows Entra: until the app and its redirect URI are known good, errors
are shown on Entra's own page (a redirect URI that fails validation must never receive
anything); after that they go back to the redirect URI as `error` / `error_description`."""

import hashlib
import secrets
import time
import uuid
from urllib.parse import urlencode

from . import client_auth, discovery, pages, pki, tokens
from .aadsts import EntraError
from .faults import TOKEN_FAILURES
from .realms import Realm, resolve
from .web import Request, Response, Router, html_response, json_response, redirect

TENANT = r"/(?P<tenant>[^/]+)"
RESPONSE_MODES = ("query", "fragment", "form_post")
TOKEN_LIFETIME = 3599


def pkce_s256(verifier: str) -> str:
    return pki.b64url(hashlib.sha256(verifier.encode()).digest())


def _scopes(scope: str | None) -> list[str]:
    return (scope or "").split()


class OidcEndpoints:
    def __init__(self, sim):
        self.sim = sim

    def register(self, router: Router) -> None:
        router.add("GET", TENANT + r"/v2\.0/\.well-known/openid-configuration", self.configuration)
        router.add("GET", TENANT + r"/discovery/v2\.0/keys", self.keys)
        router.add("GET", TENANT + r"/oauth2/v2\.0/authorize", self.authorize)
        router.add("POST", TENANT + r"/oauth2/v2\.0/authorize", self.authorize)
        router.add("POST", TENANT + r"/oauth2/v2\.0/token", self.token)

    # -- helpers ---------------------------------------------------------------------------

    def _realm(self, ref: str, endpoint: str) -> Realm:
        realm = resolve(self.sim.directory, ref)
        if realm.tenant and self.sim.faults.take(90002, endpoint, tenant_id=realm.tenant.id):
            raise EntraError(90002, tenant=ref)
        return realm

    def _json_error(self, err: EntraError, request: Request) -> Response:
        headers = {"Retry-After": "5"} if err.status == 503 else None
        return json_response(err.body(self.sim.authority, request.correlation_id), err.status,
                             headers)

    def _page_error(self, err: EntraError, request: Request) -> Response:
        return html_response(pages.error_page(err, request.correlation_id), 400)

    # -- discovery -------------------------------------------------------------------------

    def configuration(self, request: Request, tenant: str) -> Response:
        try:
            realm = self._realm(tenant, "discovery")
        except EntraError as err:
            return self._json_error(err, request)
        return json_response(discovery.openid_configuration(self.sim.authority, realm,
                                                           self.sim.browser_origin))

    def keys(self, request: Request, tenant: str) -> Response:
        try:
            realm = self._realm(tenant, "discovery")
        except EntraError as err:
            return self._json_error(err, request)
        return json_response(self.sim.keys.jwks(discovery.issuer_of(self.sim.authority, realm)))

    # -- authorize -------------------------------------------------------------------------

    def authorize(self, request: Request, tenant: str) -> Response:
        params = request.params
        try:
            realm, app, redirect_uri = self._trusted_client(params, tenant)
        except EntraError as err:
            return self._page_error(err, request)
        mode = params.get("response_mode") or "query"
        try:
            return self._sign_in(request, realm, app, redirect_uri, mode)
        except EntraError as err:
            if err.code in (50034, 50105):  # about the account: Entra says so on its own page
                return self._page_error(err, request)
            return self._answer(redirect_uri, mode, {
                "error": err.error, "error_description": err.description(request.correlation_id),
                "error_uri": f"{self.sim.authority}/error?code={err.code}",
                "state": params.get("state")})

    def _trusted_client(self, params: dict, tenant_ref: str):
        """The realm, app and redirect URI, each checked before anything is sent to the URI."""
        faults = self.sim.faults
        realm = self._realm(tenant_ref, "authorize")
        client_id = params.get("client_id")
        if not client_id:
            raise EntraError(900144, parameter="client_id")
        app = self.sim.directory.app_in(realm.tenant, client_id)
        tenant_id = realm.tenant.id if realm.tenant else None
        if app is None or faults.take(700016, "authorize", client_id=app.client_id,
                                      tenant_id=tenant_id):
            raise EntraError(700016, client_id=client_id, tenant=realm.display)
        if realm.tenant is None and not app.multi_tenant:
            raise EntraError(50194, client_id=app.client_id, app_name=app.name)
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri:  # Entra falls back to a registered one
            if not app.redirect_uris:
                raise EntraError(500113)
            redirect_uri = app.redirect_uris[0]
        if redirect_uri not in app.redirect_uris or faults.take(
                50011, "authorize", client_id=app.client_id, tenant_id=tenant_id):
            raise EntraError(50011, redirect_uri=redirect_uri, client_id=app.client_id)
        return realm, app, redirect_uri

    def _sign_in(self, request, realm, app, redirect_uri, mode) -> Response:
        params = request.params
        if mode not in RESPONSE_MODES:
            raise EntraError(900144, parameter="response_mode")
        if params.get("response_type") != "code":
            raise EntraError(700051, response_type=params.get("response_type", ""))
        if not params.get("scope"):
            raise EntraError(900144, parameter="scope")
        if not params.get("code_challenge"):
            raise EntraError(9002325)
        if params.get("code_challenge_method") != "S256":
            raise EntraError(50149)
        if params.get("prompt") == "none":  # the simulator keeps no sign-in session
            raise EntraError(50058)
        username = params.get("username") if request.method == "POST" else None
        accounts = realm.accounts(self.sim.directory)
        if not username:
            fields = {k: v for k, v in params.items() if k != "username"}
            return html_response(pages.account_picker(
                action=request.path, fields=fields, accounts=accounts,
                login_hint=params.get("login_hint"), app_name=app.name))
        found = next(((t, u) for t, u in accounts if u.signs_in_as(username)), None)
        if found is None:
            raise EntraError(50034, username=username, tenant=realm.display)
        user_tenant, user = found
        faults = self.sim.faults
        where = {"client_id": app.client_id, "tenant_id": user_tenant.id, "user": user}
        if (app.assignment_required and user.oid not in app.assigned_users) or faults.take(
                50105, "authorize", **where):
            raise EntraError(50105, app_name=app.name, client_id=app.client_id,
                             username=user.upn)
        if not app.consented_in(user_tenant.id) or faults.take(65001, "authorize", **where):
            raise EntraError(65001, error="consent_required", client_id=app.client_id,
                             app_name=app.name)
        if faults.take(90033, "authorize", **where):  # as Entra answers during an incident
            raise EntraError(90033, error="server_error")
        code = self.sim.codes.issue(
            client_id=app.client_id, redirect_uri=redirect_uri,
            code_challenge=params["code_challenge"], nonce=params.get("nonce"),
            tenant_id=user_tenant.id, oid=user.oid, scope=params["scope"],
            session_id=str(uuid.uuid4()))
        return self._answer(redirect_uri, mode, {"code": code, "state": params.get("state"),
                                                 "session_state": str(uuid.uuid4())})

    @staticmethod
    def _answer(redirect_uri: str, mode: str, fields: dict) -> Response:
        fields = {k: v for k, v in fields.items() if v is not None}
        if mode == "form_post":
            return html_response(pages.form_post(redirect_uri, fields))
        if mode == "fragment":
            return redirect(f"{redirect_uri}#{urlencode(fields)}")
        return redirect(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(fields)}")

    # -- token -----------------------------------------------------------------------------

    def token(self, request: Request, tenant: str) -> Response:
        delay, failure = self.sim.faults.next_token_fault()
        if delay:
            time.sleep(delay)
        try:
            if failure:
                raise EntraError(TOKEN_FAILURES[failure])
            return json_response(self._grant(request, tenant))
        except EntraError as err:
            return self._json_error(err, request)

    def _grant(self, request: Request, tenant_ref: str) -> dict:
        sim, form = self.sim, request.form
        realm = self._realm(tenant_ref, "token")
        tenant_id = realm.tenant.id if realm.tenant else None
        grant_type = form.get("grant_type")
        if not grant_type:
            raise EntraError(900144, parameter="grant_type")
        basic = client_auth.basic_credentials(request.headers.get("Authorization"))
        client_id = form.get("client_id") or (basic[0] if basic else None)
        if not client_id:
            raise EntraError(900144, parameter="client_id")
        app = sim.directory.app_in(realm.tenant, client_id)
        if app is None or sim.faults.take(700016, "token", client_id=app.client_id,
                                          tenant_id=tenant_id):
            raise EntraError(700016, client_id=client_id, tenant=realm.display)
        for code in (7000215, 7000222):
            if sim.faults.take(code, "token", client_id=app.client_id, tenant_id=tenant_id):
                raise EntraError(code, client_id=app.client_id)
        client_auth.authenticate(app, form, request.headers.get("Authorization"),
                                 audiences=self._token_audiences(realm),
                                 assertion_ids=sim.assertion_ids, keys=sim.keys)
        if grant_type == "authorization_code":
            return self._redeem_code(form, app, realm)
        if grant_type == "client_credentials":
            return self._client_credentials(form, app, realm)
        raise EntraError(70003, grant_type=grant_type)

    def _token_audiences(self, realm: Realm) -> set[str]:
        """The token endpoint URLs a client assertion's `aud` may name for this realm."""
        refs = {realm.ref, realm.segment}
        if realm.tenant:
            refs.update(realm.tenant.domains)
        base = self.sim.authority
        return ({f"{base}/{r}/oauth2/v2.0/token" for r in refs}
                | {f"{base}/{r}/oauth2/token" for r in refs})

    def _redeem_code(self, form: dict, app, realm: Realm) -> dict:
        sim = self.sim
        if not form.get("code"):
            raise EntraError(900144, parameter="code")
        grant = sim.codes.redeem(form["code"])
        if grant.client_id != app.client_id:
            raise EntraError(70000)
        if form.get("redirect_uri") != grant.redirect_uri:
            raise EntraError(500112, redirect_uri=form.get("redirect_uri", ""),
                             expected=grant.redirect_uri)
        verifier = form.get("code_verifier")
        if not verifier or not secrets.compare_digest(pkce_s256(verifier), grant.code_challenge):
            raise EntraError(501481)
        with sim.directory.lock:
            user_tenant = sim.directory.tenants.get(grant.tenant_id)
            user = user_tenant.users.get(grant.oid) if user_tenant else None
        if user is None:  # deleted since sign-in
            raise EntraError(70000)
        if sim.faults.take(65001, "token", client_id=app.client_id, tenant_id=user_tenant.id,
                           user=user):
            raise EntraError(65001, client_id=app.client_id, app_name=app.name)
        scopes = _scopes(grant.scope)
        granted = [s for s in tokens.granted_scopes(app, scopes) if s != "offline_access"]
        answer = {"token_type": "Bearer",
                  "scope": " ".join(s if s in tokens.OIDC_SCOPES else f"{tokens.GRAPH_RESOURCE}/{s}" for s in granted),
                  "expires_in": TOKEN_LIFETIME, "ext_expires_in": TOKEN_LIFETIME,
                  "access_token": tokens.access_token(app=app, tenant=user_tenant, user=user,
                                                      scope=" ".join(granted), keys=sim.keys)}
        if "offline_access" in scopes:
            answer["refresh_token"] = "1.A" + secrets.token_urlsafe(96)
        if "openid" in scopes:
            answer["id_token"] = tokens.id_token(
                authority=sim.authority, app=app, tenant=user_tenant, user=user,
                nonce=grant.nonce, keys=sim.keys, session_id=grant.session_id)
        if form.get("client_info") == "1":
            answer["client_info"] = tokens.client_info(user, user_tenant)
        return answer

    def _client_credentials(self, form: dict, app, realm: Realm) -> dict:
        if realm.tenant is None:
            raise EntraError(50059)
        if not app.consented_in(realm.tenant.id):  # no service principal there: never consented, or revoked
            raise EntraError(700016, client_id=app.client_id, tenant=realm.tenant.id)
        scope = form.get("scope")
        if not scope:
            raise EntraError(900144, parameter="scope")
        if len(_scopes(scope)) != 1 or not scope.endswith("/.default"):
            raise EntraError(1002012, scope=scope)
        return {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME,
                "ext_expires_in": TOKEN_LIFETIME,
                "access_token": tokens.access_token(app=app, tenant=realm.tenant, user=None,
                                                    scope=scope, keys=self.sim.keys)}
