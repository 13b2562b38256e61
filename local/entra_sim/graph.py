"""Microsoft Graph's group membership endpoints, for the groups overage of an ID token.

`GET /v1.0/me/transitiveMemberOf/microsoft.graph.group` (delegated token) and
`GET /v1.0/users/{oid}/transitiveMemberOf/microsoft.graph.group` (also an app token of the
user's tenant), with `$select=id` and `$top` (default 100, at most 999): pages of
`{"@odata.context", "value": [{"@odata.type": "#microsoft.graph.group", "id"}], "@odata.nextLink"}`,
the next link carrying `$skiptoken`. `POST /v1.0/users/{oid}/getMemberObjects` (the link of the
overage claim) answers `{"value": [ids]}` at once. Tokens are the simulator's own Graph access
tokens, checked by signature, audience and expiry (401 `InvalidAuthenticationToken`), then
for permission as Graph's reference lists it (403 `Authorization_RequestDenied`): the signed-in
user's memberships (`/me`, delegated only) need `User.Read` or higher in `scp`; another user's
need `User.Read.All`, `Directory.Read.All`, `Group.Read.All` or `GroupMember.Read.All`, in `scp`
(delegated) or `roles` (an app's own token, granted by admin consent).

Faults: `fail_graph(status, times)` answers that status; `fail_graph("garbage", times)` answers
a 200 that is not Graph's shape."""

import json
import threading
import time

import jwt

from .web import Request, Response, Router, json_response

PAGE_DEFAULT, PAGE_MAX = 100, 999
ANY_USER = {"User.Read.All", "Directory.Read.All", "Directory.ReadWrite.All", "Group.Read.All", "GroupMember.Read.All"}
OWN_MEMBERSHIPS = {"User.Read", *ANY_USER}


def _error(status: int, code: str, message: str) -> Response:
    return json_response({"error": {"code": code, "message": message}}, status)


class Graph:
    def __init__(self, sim):
        self.sim = sim
        self._lock = threading.Lock()
        self._faults: list = []

    def register(self, router: Router) -> None:
        router.add("GET", r"/v1\.0/me/transitiveMemberOf/microsoft\.graph\.group", lambda r: self.member_of(r, None))
        router.add("GET", r"/v1\.0/users/(?P<oid>[^/]+)/transitiveMemberOf/microsoft\.graph\.group", self.member_of)
        router.add("POST", r"/v1\.0/users/(?P<oid>[^/]+)/getMemberObjects", self.member_objects)
        router.add("POST", r"/_sim/graph", lambda r: json_response(self.fail(r.json().get("fail", 503), int(r.json().get("times", 1))) or {}))

    def fail(self, status, times: int = 1) -> None:
        with self._lock:
            self._faults = [status] * times

    def _fault(self):
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    def _caller(self, request: Request) -> dict | None:
        header = request.headers.get("Authorization") or ""
        if not header.startswith("Bearer "):
            return None
        token = header[7:]
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = next((k for k in self.sim.keys.published() if k.x5t == kid), None)
            if key is None:
                return None
            return jwt.decode(token, key.cert.public_key(), algorithms=["RS256"], audience="https://graph.microsoft.com")
        except jwt.PyJWTError:
            return None

    @staticmethod
    def _refusal(claims: dict, oid: str | None) -> Response | None:
        """Graph's answer when the token may not read these memberships (None: it may)."""
        delegated = "scp" in claims
        if oid is None and not delegated:
            return _error(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
        granted = set(str(claims.get("scp", "")).split()) if delegated else set(claims.get("roles") or [])
        if not granted & (OWN_MEMBERSHIPS if oid is None else ANY_USER):
            return _error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        return None

    def _user(self, claims: dict, oid: str | None):
        """The user whose groups are asked for: the token's own (`me`), or by oid in the token's tenant."""
        with self.sim.directory.lock:
            tenant = self.sim.directory.tenants.get(claims.get("tid"))
            if tenant is None:
                return None
            if oid is None:
                return tenant.users.get(claims.get("oid")) if "scp" in claims else None
            return tenant.users.get(oid.lower())

    def _guarded(self, request: Request, oid: str | None):
        fault = self._fault()
        if fault == "garbage":
            return Response(200, b"<html>not graph</html>", "text/html"), None
        if fault:
            return _error(int(fault), "serviceNotAvailable", "simulated outage"), None
        claims = self._caller(request)
        if claims is None or claims.get("exp", 0) < time.time():
            return _error(401, "InvalidAuthenticationToken", "Access token validation failure."), None
        refused = self._refusal(claims, oid)
        if refused:
            return refused, None
        user = self._user(claims, oid)
        if user is None:
            return _error(404, "Request_ResourceNotFound", "Resource does not exist."), None
        return None, user

    def member_of(self, request: Request, oid: str | None) -> Response:
        refused, user = self._guarded(request, oid)
        if refused:
            return refused
        try:
            top = min(int(request.query.get("$top", PAGE_DEFAULT)), PAGE_MAX)
            skip = int(request.query.get("$skiptoken", "0"))
        except ValueError:
            return _error(400, "BadRequest", "Invalid $top or $skiptoken.")
        page = user.groups[skip:skip + max(top, 1)]
        body = {"@odata.context": f"{self.sim.authority}/v1.0/$metadata#directoryObjects",
                "value": [{"@odata.type": "#microsoft.graph.group", "id": g} for g in page]}
        if skip + len(page) < len(user.groups):
            base = f"{self.sim.authority}{request.path}"
            body["@odata.nextLink"] = f"{base}?$select=id&$top={top}&$skiptoken={skip + len(page)}"
        return json_response(body)

    def member_objects(self, request: Request, oid: str) -> Response:
        refused, user = self._guarded(request, oid)
        if refused:
            return refused
        try:
            json.loads(request.body or b"{}")
        except ValueError:
            return _error(400, "BadRequest", "Invalid JSON.")
        return json_response({"value": list(user.groups)})
