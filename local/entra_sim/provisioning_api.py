"""`/_sim` routes for provisioning and for the directory changes it carries: each calls the
`Simulator` method of the same name (see control_api.py for the guard and error mapping)."""

from .control_api import TENANT, ControlApi, _fields
from .web import Request, Router

JOB = r"/_sim/provisioning/jobs/(?P<job>[^/]+)"


class ProvisioningApi:
    def __init__(self, sim):
        self.sim = sim

    def register(self, router: Router) -> None:
        sim = self.sim
        routes = [
            ("PATCH", TENANT + "/users/(?P<oid>[^/]+)",
             lambda r, tenant, oid: sim.update_user(tenant, oid, r.json())),
            ("DELETE", TENANT + "/users/(?P<oid>[^/]+)",
             lambda r, tenant, oid: sim.delete_user(tenant, oid)),
            ("POST", TENANT + "/groups", lambda r, tenant: sim.add_group(tenant, r.json())),
            ("PATCH", TENANT + "/groups/(?P<group>[^/]+)",
             lambda r, tenant, group: sim.update_group(tenant, group, r.json())),
            ("DELETE", TENANT + "/groups/(?P<group>[^/]+)",
             lambda r, tenant, group: sim.delete_group(tenant, group)),
            ("POST", TENANT + "/provisioning/jobs",
             lambda r, tenant: sim.create_provisioning_job(tenant, r.json())),
            ("GET", JOB, lambda r, job: sim.provisioning_status(job)),
            ("POST", JOB + "/test-connection", lambda r, job: sim.test_provisioning_connection(job)),
            ("POST", JOB + "/cycles", lambda r, job: sim.run_provisioning_cycle(job)),
            ("POST", JOB + "/start", lambda r, job: sim.start_provisioning(
                job, **_fields(r, "interval_seconds"))),
            ("POST", JOB + "/stop", lambda r, job: sim.stop_provisioning(job)),
            ("POST", JOB + "/restart", lambda r, job: sim.restart_provisioning(job)),
            ("POST", JOB + "/assign", lambda r, job: sim.assign_to_provisioning(
                job, **_fields(r, "users", "groups"))),
            ("POST", JOB + "/unassign", lambda r, job: sim.unassign_from_provisioning(
                job, **_fields(r, "users", "groups"))),
            ("GET", JOB + "/requests", self._requests),
        ]
        for method, pattern, handler in routes:
            router.add(method, pattern, ControlApi._guarded(handler))

    def _requests(self, request: Request, job: str):
        cycle = request.query.get("cycle")
        return {"requests": self.sim.provisioning_requests(job, int(cycle) if cycle else None)}
