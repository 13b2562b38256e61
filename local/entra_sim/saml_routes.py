"""Entra's SAML side: federation metadata, and the SAML 2.0 SSO endpoint `/{tenant}/saml2`.

The XML (metadata, signed Responses, AuthnRequest parsing, the auto-post form) comes from
`saml_idp`; this module decides who signs in where, and what Entra shows when it can't."""

from . import saml_idp
from .aadsts import EntraError
from .realms import resolve
from .web import Request, Response, Router, json_response

TENANT = r"/(?P<tenant>[^/]+)"


class SamlEndpoints:
    def __init__(self, sim):
        self.sim = sim

    def register(self, router: Router) -> None:
        router.add("GET", TENANT + r"/federationmetadata/2007-06/federationmetadata\.xml",
                   self.metadata)

    def metadata(self, request: Request, tenant: str) -> Response:
        try:
            realm = resolve(self.sim.directory, tenant)
            if realm.tenant is None or self.sim.faults.take(90002, "discovery",
                                                            tenant_id=realm.tenant.id):
                raise EntraError(90002, tenant=tenant)
            app_id = request.query.get("appid")
            if app_id and not any(a.app_id == app_id.lower() and a.tenant_id == realm.tenant.id
                                  for a in list(self.sim.directory.saml_apps.values())):
                raise EntraError(700016, client_id=app_id, tenant=realm.display)
        except EntraError as err:
            return json_response(err.body(self.sim.authority, request.correlation_id), err.status)
        with self.sim.directory.lock:
            certs = [pair.cert_pem for pair in realm.tenant.saml_certs]
        xml = saml_idp.federation_metadata_xml(tenant_id=realm.tenant.id,
                                               authority=self.sim.authority,
                                               signing_certs_pem=certs, app_id=app_id)
        return Response(200, xml, "application/xml; charset=utf-8")
