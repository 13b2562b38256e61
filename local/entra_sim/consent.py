"""Tenant-wide admin consent to a multi-tenant app (`consent_required` apps, directory.py).

`GET /{tenant}/v2.0/adminconsent?client_id=..&redirect_uri=..&state=..&scope=..` (tenant:
`organizations`, `common` or a GUID) shows the account picker with a Cancel button; the POST it
makes carries `username` and `decision` (`accept` / `cancel`). As in Entra: the app and the
redirect URI are checked first (Entra's page on failure); a user whose directory roles cannot
grant consent gets Entra's page (AADSTS90094); a cancel goes back as `error=access_denied`
(AADSTS65004); an accept records the consent (a service principal in the user's tenant) and
answers `redirect_uri?admin_consent=True&tenant=<tid>&scope=..&state=..`.

An admin's consent also grants the app's application permissions in that tenant (its
client-credentials tokens carry them as `roles`); a user's own consent (`admin=False`) grants
only the delegated ones.

Control: `grant_consent(client_id, tenant, admin=True)` and `revoke_consent(client_id, tenant)`
(an admin deleting the enterprise app), also as `POST /_sim/apps/{client_id}/consents`
`{"tenant", "admin"?}` and `DELETE /_sim/apps/{client_id}/consents/{tenant}`."""

from html import escape
from urllib.parse import urlencode

from . import pages
from .aadsts import CATALOGUE, EntraError
from .directory import CONSENT_ADMIN_ROLES, ConfigError
from .realms import resolve
from .web import BadRequest, Request, Response, Router, html_response, json_response, redirect

CATALOGUE.update({
    65004: ("access_denied", 400, "User declined to consent to access the app."),
    90094: ("invalid_grant", 400, "The grant requires admin permission."),
})


class AdminConsent:
    def __init__(self, sim):
        self.sim = sim

    def register(self, router: Router) -> None:
        router.add("GET", r"/(?P<tenant>[^/_][^/]*)/v2\.0/adminconsent", self.consent)
        router.add("POST", r"/(?P<tenant>[^/_][^/]*)/v2\.0/adminconsent", self.consent)
        router.add("POST", r"/_sim/apps/(?P<client_id>[^/]+)/consents",
                   lambda r, client_id: self._control(lambda: self.grant(client_id, r.json().get("tenant"),
                                                                           admin=r.json().get("admin", True) is not False)))
        router.add("DELETE", r"/_sim/apps/(?P<client_id>[^/]+)/consents/(?P<tenant>[^/]+)",
                   lambda r, client_id, tenant: self._control(lambda: self.revoke(client_id, tenant)))

    @staticmethod
    def _control(call) -> Response:
        try:
            return json_response(call())
        except (ConfigError, EntraError) as err:
            raise BadRequest(str(err)) from None

    def _app(self, client_id: str):
        with self.sim.directory.lock:
            app = self.sim.directory.apps.get((client_id or "").lower())
        if app is None:
            raise ConfigError(f"no app {client_id}")
        return app

    def grant(self, client_id: str, tenant: str, *, admin: bool = True) -> dict:
        app, tenant_id = self._app(client_id), self.sim._tenant(tenant).id
        with self.sim.directory.lock:
            app.consented_tenants.add(tenant_id)
            if admin:
                app.admin_consented_tenants.add(tenant_id)
        return {"client_id": app.client_id, "consented_tenants": sorted(app.consented_tenants)}

    def revoke(self, client_id: str, tenant: str, *, application_only: bool = False) -> dict:
        """`application_only`: the admin revokes the app's application permissions (Enterprise
        applications > Permissions) and leaves the users' delegated consent."""
        app, tenant_id = self._app(client_id), self.sim._tenant(tenant).id
        with self.sim.directory.lock:
            if not application_only:
                app.consented_tenants.discard(tenant_id)
            app.admin_consented_tenants.discard(tenant_id)
        return {"client_id": app.client_id, "consented_tenants": sorted(app.consented_tenants)}

    def consent(self, request: Request, tenant: str) -> Response:
        params = request.params
        try:
            realm = resolve(self.sim.directory, tenant)
            app = self.sim.directory.app_in(realm.tenant, params.get("client_id") or "")
            if app is None:
                raise EntraError(700016, client_id=params.get("client_id", ""), tenant=realm.display)
            redirect_uri = params.get("redirect_uri") or (app.redirect_uris[0] if app.redirect_uris else "")
            if redirect_uri not in app.redirect_uris:
                raise EntraError(50011, redirect_uri=redirect_uri, client_id=app.client_id)
        except EntraError as err:
            return html_response(pages.error_page(err, request.correlation_id), 400)
        state = params.get("state")
        username = params.get("username") if request.method == "POST" else None
        accounts = realm.accounts(self.sim.directory)
        if not username:
            fields = {k: v for k, v in params.items() if k not in ("username", "decision")}
            picker = pages.account_picker(action=request.path, fields={**fields, "decision": "accept"}, accounts=accounts,
                                          login_hint=params.get("login_hint"), app_name=app.name)
            cancel = (f'<form method="post" action="{escape(request.path)}">'
                      + "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}" />' for k, v in fields.items())
                      + '<input type="hidden" name="decision" value="cancel" />'
                      '<button type="submit" name="username" value="-">Cancel</button></form>')
            return html_response(picker.replace("</body>", f"<h2>Permissions requested</h2><p>Accept grants {escape(app.name)} "
                                                "access for your whole organization.</p>" + cancel + "</body>"))
        if params.get("decision") == "cancel":
            err = EntraError(65004)
            return self._back(redirect_uri, {"error": "access_denied", "error_subcode": "cancel",
                                             "error_description": err.description(request.correlation_id), "state": state})
        found = next(((t, u) for t, u in accounts if u.signs_in_as(username)), None)
        if found is None:
            return html_response(pages.error_page(EntraError(50034, username=username, tenant=realm.display),
                                                  request.correlation_id), 400)
        user_tenant, user = found
        if not set(user.roles) & set(CONSENT_ADMIN_ROLES):
            return html_response(pages.error_page(EntraError(90094), request.correlation_id), 400)
        with self.sim.directory.lock:
            app.consented_tenants.add(user_tenant.id)
            app.admin_consented_tenants.add(user_tenant.id)
        return self._back(redirect_uri, {"admin_consent": "True", "tenant": user_tenant.id,
                                         "scope": params.get("scope", ""), "state": state})

    @staticmethod
    def _back(redirect_uri: str, fields: dict) -> Response:
        fields = {k: v for k, v in fields.items() if v is not None}
        return redirect(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(fields)}")
