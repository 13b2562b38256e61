"""Workload identity federation: Azure's managed identity endpoint, and the token endpoint's check
of a federated client assertion (a managed identity's token presented as `client_assertion`).

The endpoint has the two shapes Azure gives a process: App Service / Functions
(`GET {IDENTITY_ENDPOINT}?resource=..&api-version=2019-08-01&client_id=..` with header
`X-IDENTITY-HEADER: {IDENTITY_HEADER}`, answer `expires_on` in epoch seconds as a string) and
IMDS (`GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=..&client_id=..` with
header `Metadata: true`). The token is signed by Entra's signing keys, `iss` the identity's tenant
issuer, `sub` its object (principal) id, `aud` the resource.

At the token endpoint an assertion without a certificate thumbprint is matched against the app's
federated credentials, each `issuer` + `subject` + `audiences`, as Entra does: AADSTS700211 (no
credential with that issuer), AADSTS700213 (subject), AADSTS700212 (audience), AADSTS700024
(expired), AADSTS50027 (not a token Entra signed)."""

import hmac
import secrets
import threading
import time
import uuid
from dataclasses import dataclass

import jwt

from .aadsts import CATALOGUE, EntraError
from .web import Request, Response, Router, json_response

EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
MI_TOKEN_LIFETIME = 24 * 3600  # managed identity tokens live about a day

CATALOGUE.update({
    700211: ("invalid_client", 401, "No matching federated identity record found for presented assertion issuer "
             "'{issuer}'. Please check your federated identity credential Issuer."),
    700212: ("invalid_client", 401, "No matching federated identity record found for presented assertion audience "
             "'{audience}'. Please check your federated identity credential Audience."),
    700213: ("invalid_client", 401, "No matching federated identity record found for presented assertion subject "
             "'{subject}'. Please check your federated identity credential Subject, Audience and Issuer."),
})


@dataclass
class ManagedIdentity:
    client_id: str
    object_id: str
    tenant_id: str


class ManagedIdentities:
    """User-assigned identities and the endpoint the platform gives the process."""

    def __init__(self, sim):
        self.sim = sim
        self.header = secrets.token_urlsafe(24)  # IDENTITY_HEADER: App Service's per-process secret
        self._lock = threading.Lock()
        self._identities: dict[str, ManagedIdentity] = {}
        self._failures: list[int] = []  # statuses for the next requests

    def add(self, tenant: str, spec: dict) -> dict:
        tenant_id = self.sim._tenant(tenant).id
        identity = ManagedIdentity(str(uuid.UUID(spec.get("client_id") or str(uuid.uuid4()))),
                                   str(uuid.UUID(spec.get("object_id") or str(uuid.uuid4()))), tenant_id)
        with self._lock:
            self._identities[identity.client_id] = identity
        return self.view(identity)

    def view(self, identity: ManagedIdentity) -> dict:
        return {"client_id": identity.client_id, "object_id": identity.object_id, "tenant_id": identity.tenant_id,
                "issuer": f"{self.sim.authority}/{identity.tenant_id}/v2.0",
                "identity_endpoint": f"{self.sim.authority}/msi/token", "identity_header": self.header}

    def fail(self, status: int, times: int) -> None:
        with self._lock:
            self._failures = [status] * times

    def register(self, router: Router) -> None:
        router.add("GET", r"/msi/token", self.app_service)
        router.add("GET", r"/metadata/identity/oauth2/token", self.imds)
        router.add("POST", r"/_sim/tenants/(?P<tenant>[^/]+)/managed-identities",
                   lambda r, tenant: json_response(self.add(tenant, r.json())))
        router.add("POST", r"/_sim/identity-endpoint",
                   lambda r: json_response(self.fail(int(r.json().get("fail_status", 503)), int(r.json().get("times", 1))) or {}))

    def _next_failure(self) -> int | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def app_service(self, request: Request) -> Response:
        presented = request.headers.get("X-IDENTITY-HEADER") or ""
        if not hmac.compare_digest(presented.encode(), self.header.encode()):
            return json_response({"statusCode": 401, "message": "Unauthorized"}, 401)
        return self._token(request, expires_as=str)

    def imds(self, request: Request) -> Response:
        if request.headers.get("Metadata") != "true":
            return json_response({"error": "invalid_request", "error_description": "Required metadata header not specified"}, 400)
        return self._token(request, expires_as=str)

    def _token(self, request: Request, expires_as) -> Response:
        failure = self._next_failure()
        if failure:
            return json_response({"error": "service_unavailable", "error_description": "simulated outage"}, failure)
        resource, client_id = request.query.get("resource"), (request.query.get("client_id") or "").lower()
        if not resource:
            return json_response({"error": "invalid_request", "error_description": "resource is required"}, 400)
        with self._lock:
            identity = self._identities.get(client_id)
        if identity is None:
            return json_response({"error": "invalid_request", "error_description":
                                  "Identity not found: no user-assigned identity with this client_id is assigned"}, 400)
        now = int(time.time())
        claims = {"aud": resource, "iss": f"{self.sim.authority}/{identity.tenant_id}/v2.0", "sub": identity.object_id,
                  "oid": identity.object_id, "azp": identity.client_id, "tid": identity.tenant_id,
                  "iat": now, "nbf": now, "exp": now + MI_TOKEN_LIFETIME, "uti": secrets.token_urlsafe(12), "ver": "2.0"}
        key = self.sim.keys.current
        token = jwt.encode(claims, key.key, algorithm="RS256", headers={"typ": "JWT", "kid": key.x5t})
        return json_response({"access_token": token, "expires_on": expires_as(now + MI_TOKEN_LIFETIME),
                              "resource": resource, "token_type": "Bearer", "client_id": identity.client_id})


def check_federated_assertion(app, assertion: str, keys) -> None:
    """Raises Entra's EntraError unless `assertion` is a token Entra signed that one of the app's
    federated credentials trusts (issuer, subject and audience all match one record)."""
    try:
        header = jwt.get_unverified_header(assertion)
        published = {k.x5t: k for k in keys.published()}
        key = published.get(header.get("kid"))
        if key is None:
            raise EntraError(50027)
        claims = jwt.decode(assertion, key.cert.public_key(), algorithms=["RS256"],
                            options={"verify_aud": False, "verify_exp": False, "verify_nbf": False, "verify_iat": False})
    except jwt.PyJWTError:
        raise EntraError(50027) from None
    issuer, subject, aud = claims.get("iss"), claims.get("sub"), claims.get("aud")
    audiences = set(aud) if isinstance(aud, list) else {aud}
    by_issuer = [c for c in app.federated_credentials if c["issuer"] == issuer]
    if not by_issuer:
        raise EntraError(700211, issuer=issuer)
    by_subject = [c for c in by_issuer if c["subject"] == subject]
    if not by_subject:
        raise EntraError(700213, subject=subject)
    if not any(audiences & set(c["audiences"]) for c in by_subject):
        raise EntraError(700212, audience=aud)
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp < time.time():
        raise EntraError(700024)
