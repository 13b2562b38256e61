"""Entra's SAML side: federation metadata, and the SAML 2.0 SSO endpoint `/{tenant}/saml2`.

The XML (metadata, signed Responses, AuthnRequest parsing, the auto-post form) comes from
`saml_idp`; this module decides who signs in where, and what Entra shows when it can't. Like
Entra, every SAML error is shown on Entra's own page: nothing is posted to a reply URL unless
the user signed in."""

import base64

from . import pages, saml_idp
from .aadsts import EntraError
from .directory import SamlApp, Tenant, User
from .realms import MULTI_TENANT, TENANT_TEMPLATE, resolve
from .web import Request, Response, Router, html_response, json_response

TENANT = r"/(?P<tenant>[^/]+)"
# The part of an AuthnRequest that rides along through the account picker.
CARRIED = ("SAMLRequest", "RelayState", "SigAlg", "Signature")


def _authn_request(saml_request: str) -> dict:
    """Redirect binding (DEFLATE) or POST binding (plain): Entra takes both at one URL."""
    try:
        return saml_idp.parse_authn_request(saml_request, deflated=True)
    except ValueError:
        try:
            return saml_idp.parse_authn_request(saml_request, deflated=False)
        except ValueError:
            raise EntraError(75005) from None


class SamlEndpoints:
    def __init__(self, sim):
        self.sim = sim

    def register(self, router: Router) -> None:
        router.add("GET", TENANT + r"/federationmetadata/2007-06/federationmetadata\.xml",
                   self.metadata)
        router.add("GET", TENANT + r"/saml2", self.sso)
        router.add("POST", TENANT + r"/saml2", self.sso)

    def _tenant(self, ref: str, endpoint: str) -> Tenant:
        realm = resolve(self.sim.directory, ref)
        if realm.tenant is None or self.sim.faults.take(90002, endpoint,
                                                        tenant_id=realm.tenant.id):
            raise EntraError(90002, tenant=ref)
        return realm.tenant

    # -- metadata ----------------------------------------------------------------------------

    def metadata(self, request: Request, tenant: str) -> Response:
        app_id = request.query.get("appid")
        if tenant.lower() in MULTI_TENANT and not app_id:
            return self._tenant_independent_metadata(tenant.lower())
        try:
            found = self._tenant(tenant, "discovery")
            app = self.sim.directory.saml_apps.get(app_id.lower()) if app_id else None
            if app_id and (app is None or app.tenant_id != found.id):
                raise EntraError(700016, client_id=app_id, tenant=found.name)
        except EntraError as err:
            return json_response(err.body(self.sim.authority, request.correlation_id), err.status)
        with self.sim.directory.lock:
            certs = [pair.cert_pem for pair in found.saml_certs]
        xml = saml_idp.federation_metadata_xml(tenant_id=found.id, authority=self.sim.authority,
                                               signing_certs_pem=certs, app_id=app_id,
                                               browser_origin=self.sim.browser_origin)
        return Response(200, xml, "application/xml; charset=utf-8")

    def _tenant_independent_metadata(self, realm: str) -> Response:
        """Entra's `/common` (or `/organizations`) federation metadata: entityID is the literal
        `https://sts.windows.net/{tenantid}/` template and SSO goes to `/{realm}/saml2`, so no
        response ever carries that issuer. It lists Entra's global signing keys."""
        certs = [pair.cert_pem for pair in self.sim.keys.published()]
        xml = saml_idp.federation_metadata_xml(tenant_id=TENANT_TEMPLATE, authority=self.sim.authority,
                                               signing_certs_pem=certs, realm=realm,
                                               browser_origin=self.sim.browser_origin)
        return Response(200, xml, "application/xml; charset=utf-8")

    # -- single sign-on ----------------------------------------------------------------------

    def sso(self, request: Request, tenant: str) -> Response:
        try:
            return self._sso(request, tenant)
        except EntraError as err:
            return html_response(pages.error_page(err, request.correlation_id), 400)

    def _sso(self, request: Request, tenant_ref: str) -> Response:
        params = request.params
        tenant = self._tenant(tenant_ref, "saml")
        if not params.get("SAMLRequest"):
            raise EntraError(750054)
        authn = _authn_request(params["SAMLRequest"])
        app = self.sim.directory.saml_app(tenant, authn["issuer"])
        if app is None or self.sim.faults.take(700016, "saml", client_id=app.app_id,
                                               tenant_id=tenant.id):
            raise EntraError(700016, client_id=authn["issuer"], tenant=tenant.name)
        acs_url = authn["acs_url"] or app.reply_urls[0]
        if acs_url not in app.reply_urls or self.sim.faults.take(
                50011, "saml", client_id=app.app_id, tenant_id=tenant.id):
            raise EntraError(50011, redirect_uri=acs_url, client_id=app.app_id)
        username = params.get("username") if request.method == "POST" else None
        if not username:
            with self.sim.directory.lock:
                accounts = [(tenant, u) for u in tenant.users.values()]
            return html_response(pages.account_picker(
                action=request.path, fields={k: params.get(k) for k in CARRIED},
                accounts=accounts, login_hint=None, app_name=app.name))
        user = self.sim.directory.user_by_upn(tenant, username)
        if user is None:
            raise EntraError(50034, username=username, tenant=tenant.name)
        self._check_assignment(app, tenant, user)
        requested = authn["name_id_policy_format"]
        name_id_format = (requested if requested in saml_idp.NAME_ID_FORMATS.values()
                          and requested != saml_idp.NAME_ID_FORMATS["unspecified"]
                          else app.name_id_format)
        fields = self._response_fields(tenant, app, user, authn["id"], acs_url,
                                       params.get("RelayState"), name_id_format)
        return html_response(fields["form"])

    def _check_assignment(self, app: SamlApp, tenant: Tenant, user: User) -> None:
        if (app.assignment_required and user.oid not in app.assigned_users) or \
                self.sim.faults.take(50105, "saml", client_id=app.app_id, tenant_id=tenant.id,
                                     user=user):
            raise EntraError(50105, app_name=app.name, client_id=app.app_id, username=user.upn)

    def _response_fields(self, tenant: Tenant, app: SamlApp, user: User, in_response_to,
                         acs_url: str, relay_state: str | None, name_id_format: str) -> dict:
        with self.sim.directory.lock:
            signer = tenant.saml_certs[0]
        xml = saml_idp.build_response(
            tenant_id=tenant.id, app=app.idp_view(), user=user.saml_view(),
            in_response_to=in_response_to, acs_url=acs_url, signing_key_pem=signer.key_pem,
            signing_cert_pem=signer.cert_pem, sign=app.sign, algorithm=app.algorithm,
            name_id_format=name_id_format)
        encoded = base64.b64encode(xml).decode()
        return {"acs_url": acs_url, "SAMLResponse": encoded, "RelayState": relay_state,
                "form": saml_idp.auto_post_form(acs_url, encoded, relay_state)}

    def idp_initiated(self, tenant_ref: str, app_ref: str, username: str,
                      relay_state: str | None = None) -> dict:
        """What Entra posts when a user opens the app from My Apps: no InResponseTo."""
        tenant = self._tenant(tenant_ref, "saml")
        with self.sim.directory.lock:
            app = self.sim.directory.saml_apps.get(app_ref.lower()) or \
                self.sim.directory.saml_app(tenant, app_ref)
        if app is None or app.tenant_id != tenant.id:
            raise EntraError(700016, client_id=app_ref, tenant=tenant.name)
        user = self.sim.directory.user_by_upn(tenant, username)
        if user is None:
            raise EntraError(50034, username=username, tenant=tenant.name)
        self._check_assignment(app, tenant, user)
        return self._response_fields(tenant, app, user, None, app.reply_urls[0], relay_state,
                                     app.name_id_format)
