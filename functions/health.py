"""GET /api/health: anonymous liveness of storage and the secret store, with no detail that
helps an attacker (no versions, hosts or exception text)."""
from __future__ import annotations

import azure.functions as func

from shared.admin.health import SECRET_STORE_PROBE_SECONDS, check_dependencies
from shared.admin.views import HealthAnswer
from shared.web.http import api_handler, json_response
from shared.web.operations import operation

bp = func.Blueprint()


@bp.route(route="api/health", methods=["GET"])
@operation("GET", "api/health", "Whether storage and the secret store are reachable", auth="anonymous",
           responses={200: HealthAnswer, 503: HealthAnswer}, operation_id="health", tags=("Service",),
           description="Storage is checked (and a lost table created again) on every call; the secret store is probed "
                       f"at most once every {SECRET_STORE_PROBE_SECONDS:g} seconds per instance, and calls meanwhile answer that "
                       "probe's result.")
@api_handler
def health(req: func.HttpRequest) -> func.HttpResponse:
    checks = check_dependencies()
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": {k: "ok" if ok else "unavailable" for k, ok in checks.items()}}
    return json_response(body, 200 if healthy else 503)
