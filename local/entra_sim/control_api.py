"""The `/_sim` control API: JSON over HTTPS, loopback callers only. Each route calls the
`Simulator` method of the same name, so the in-process API and this one can't drift apart."""

import ipaddress

from .aadsts import EntraError
from .directory import ConfigError
from .faults import FaultError
from .web import BadRequest, Request, Response, Router, json_response

TENANT = r"/_sim/tenants/(?P<tenant>[^/]+)"


class ControlApi:
    def __init__(self, sim):
        self.sim = sim

    def register(self, router: Router) -> None:
        routes = [
            ("GET", r"/_sim/tenants", lambda r: self.sim.tenants()),
            ("POST", r"/_sim/tenants", lambda r: self.sim.add_tenant(r.json())),
            ("GET", TENANT, lambda r, tenant: self.sim.tenant_view(tenant)),
            ("POST", TENANT + "/users", lambda r, tenant: self.sim.add_user(tenant, r.json())),
            ("POST", TENANT + "/apps", lambda r, tenant: self.sim.add_app(tenant, r.json())),
            ("PATCH", r"/_sim/apps/(?P<client_id>[^/]+)",
             lambda r, client_id: self.sim.update_app(client_id, r.json())),
            ("POST", TENANT + "/saml-apps",
             lambda r, tenant: self.sim.add_saml_app(tenant, r.json())),
            ("PATCH", r"/_sim/saml-apps/(?P<app_id>[^/]+)",
             lambda r, app_id: self.sim.update_saml_app(app_id, r.json())),
            ("POST", TENANT + "/saml-certificates",
             lambda r, tenant: self.sim.add_saml_certificate(
                 tenant, activate=bool(r.json().get("activate")))),
            ("POST", TENANT + "/saml-certificates/(?P<x5t>[^/]+)/activate",
             lambda r, tenant, x5t: self.sim.activate_saml_certificate(tenant, x5t)),
            ("POST", TENANT + "/saml-certificates/retire",
             lambda r, tenant: self.sim.retire_saml_certificates(tenant)),
            ("POST", r"/_sim/saml/idp-initiated",
             lambda r: self.sim.saml_idp_initiated(**_fields(r, "tenant", "app", "username",
                                                             "relay_state"))),
            ("GET", r"/_sim/errors", lambda r: self.sim.errors()),
            ("POST", r"/_sim/errors", lambda r: self.sim.set_error(**_fields(
                r, "code", "client_id", "user", "tenant", "endpoint", "times"))),
            ("DELETE", r"/_sim/errors", lambda r: self.sim.clear_errors()),
            ("POST", r"/_sim/token-endpoint", self._token_endpoint),
            ("POST", r"/_sim/keys/rotate", lambda r: self.sim.rotate_keys()),
            ("POST", r"/_sim/keys/retire", lambda r: self.sim.retire_keys()),
        ]
        for method, pattern, handler in routes:
            router.add(method, pattern, self._guarded(handler))

    def _token_endpoint(self, request: Request):
        body = request.json()
        if "fail_status" in body:
            self.sim.fail_token_endpoint(int(body["fail_status"]), int(body.get("times", 1)))
        if "delay_seconds" in body:
            self.sim.set_token_delay(float(body["delay_seconds"]))
        return self.sim.errors()

    @staticmethod
    def _guarded(handler):
        def handle(request: Request, **path) -> Response:
            if not ipaddress.ip_address(request.client_ip).is_loopback:
                return json_response({"error": "forbidden"}, 403)
            try:
                result = handler(request, **path)
            except (ConfigError, EntraError, FaultError, TypeError, ValueError) as e:
                raise BadRequest(str(e)) from None
            return json_response({} if result is None else result)
        return handle


def _fields(request: Request, *names: str) -> dict:
    body = request.json()
    unknown = set(body) - set(names)
    if unknown:
        raise BadRequest(f"unknown field(s) {sorted(unknown)}; allowed {list(names)}")
    return body
