"""The running simulator: its state, its HTTPS server, and the in-process API that mirrors the
`/_sim` control API (both return the same JSON-ready views)."""

import json
import os
import tempfile

from . import pki, web
from .consent import AdminConsent
from .control_api import ControlApi
from .directory import App, Directory, SamlApp, Tenant, User
from .faults import Faults
from .grants import AssertionIds, AuthCodes
from .graph import Graph
from .oidc_routes import OidcEndpoints
from .provisioning import ProvisioningJob
from .provisioning_api import ProvisioningApi
from .saml_routes import SamlEndpoints
from .shared_app import register_shared_app
from .signing_keys import SigningKeys
from .workload import ManagedIdentities

DEMO_CONFIG = os.path.join(os.path.dirname(__file__), "demo_tenants.json")
# What a browser visits: sign-in (authorize), SAML SSO, sign-out. Everything else is back channel.
BROWSER_PAGES = r"/[^/]+/(oauth2/v2\.0/(authorize|logout)|saml2)"


def user_view(user: User) -> dict:
    return {"oid": user.oid, "upn": user.upn, "name": user.name,
            "preferred_username": user.preferred_username, "email": user.email,
            "xms_edov": user.email_domain_owner_verified, "user_type": user.user_type,
            "group_count": len(user.groups), "account_enabled": user.account_enabled,
            "mail_nickname": user.mail_nickname}


def app_view(app: App) -> dict:
    return {"client_id": app.client_id, "tenant_id": app.tenant_id, "name": app.name,
            "sign_in_audience": "AzureADMultipleOrgs" if app.multi_tenant else "AzureADMyOrg",
            "redirect_uris": list(app.redirect_uris),
            "secrets": [{"key_id": s.key_id, "hint": s.value[:3],
                         "expires": s.expires.isoformat()} for s in app.secrets],
            "certificates": [{"x5t": pki.x5t(c), "x5t#S256": pki.x5t_s256(c),
                              "expires": c.not_valid_after_utc.isoformat()}
                             for c in app.certificates],
            "optional_claims": sorted(app.optional_claims), "groups_claim": app.groups_claim,
            "assignment_required": app.assignment_required,
            "assigned_users": sorted(app.assigned_users),
            "delegated_permissions": sorted(app.delegated_permissions),
            "application_permissions": sorted(app.application_permissions)}


class Simulator:
    """Use `start_simulator()`; `stop()` (or a `with` block) shuts the server down."""

    def __init__(self, *, config: dict, state_dir: str, port: int = 0,
                 browser_port: int | None = None):
        self.directory = Directory()
        self.directory.load(config)
        self.keys = SigningKeys()
        self.codes = AuthCodes()
        self.assertion_ids = AssertionIds()
        self.faults = Faults()
        self.state_dir = state_dir
        self.ca_bundle, certfile, keyfile = pki.write_tls_files(state_dir)
        router = web.Router()
        OidcEndpoints(self).register(router)
        self._saml = SamlEndpoints(self)
        self._saml.register(router)
        ControlApi(self).register(router)
        self.consents = AdminConsent(self)
        self.consents.register(router)
        self.identities = ManagedIdentities(self)
        self.identities.register(router)
        self.graph = Graph(self)
        self.graph.register(router)
        router.add("POST", r"/_sim/shared-app",  # the SaaS's own app and identity (shared_app.py)
                   lambda r: web.json_response(register_shared_app(self, r.json().get("base_url", ""))))
        self.provisioning_jobs: dict[str, ProvisioningJob] = {}
        ProvisioningApi(self).register(router)
        self._server = web.serve(router, port=port, certfile=certfile, keyfile=keyfile)
        self.port = self._server.server_address[1]
        self.authority = f"https://127.0.0.1:{self.port}"
        # With `browser_port`, the pages a browser visits are also served over plain HTTP and
        # advertised there (discovery, federation metadata): http://localhost is a secure context
        # to browsers, so a fresh profile signs in with no certificate warning, while the service's
        # back-channel calls stay on HTTPS with the CA. `localhost`, not 127.0.0.1: another site
        # than the service on 127.0.0.1, as Entra is, so SameSite cookies behave as in production.
        self._browser_server = None
        self.browser_origin = self.authority
        if browser_port is not None:
            try:
                self._browser_server = web.serve(web.OnlyPaths(router, BROWSER_PAGES),
                                                 port=browser_port, certfile=None, keyfile=None)
            except OSError:
                self.stop()
                raise
            self.browser_origin = f"http://localhost:{self._browser_server.server_address[1]}"

    def stop(self) -> None:
        for job in list(self.provisioning_jobs.values()):
            job.stop()
        for server in (self._server, getattr(self, "_browser_server", None)):
            if server is not None:
                server.shutdown()
                server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- directory ---------------------------------------------------------------------------

    def tenant_view(self, tenant: Tenant | str) -> dict:
        if isinstance(tenant, str):
            tenant = self._tenant(tenant)
        with self.directory.lock:
            apps = [a for a in self.directory.apps.values() if a.tenant_id == tenant.id]
            saml_apps = [a for a in self.directory.saml_apps.values() if a.tenant_id == tenant.id]
            users = list(tenant.users.values())
            saml_certs = list(tenant.saml_certs)
            groups = list(tenant.groups.values())
        base = f"{self.authority}/{tenant.id}"
        return {"id": tenant.id, "name": tenant.name, "domains": list(tenant.domains),
                "issuer": f"{base}/v2.0",
                "openid_configuration": f"{base}/v2.0/.well-known/openid-configuration",
                "federation_metadata": f"{base}/federationmetadata/2007-06/federationmetadata.xml",
                "saml_sso_url": f"{self.browser_origin}/{tenant.id}/saml2",
                "saml_certificates": [self._saml_cert_view(pair, i == 0)
                                      for i, pair in enumerate(saml_certs)],
                "users": [user_view(u) for u in users], "apps": [app_view(a) for a in apps],
                "groups": [{"id": g.id, "display_name": g.display_name,
                            "members": [u.oid for u in users if g.id in u.groups]}
                           for g in groups],
                "saml_apps": [self.saml_app_view(a) for a in saml_apps]}

    def saml_app_view(self, app: SamlApp) -> dict:
        return {"app_id": app.app_id, "tenant_id": app.tenant_id, "name": app.name,
                "identifier": app.identifier, "reply_urls": list(app.reply_urls),
                "sign": app.sign, "algorithm": app.algorithm,
                "name_id_format": app.name_id_format,
                "assignment_required": app.assignment_required,
                "assigned_users": sorted(app.assigned_users),
                "metadata_url": (f"{self.authority}/{app.tenant_id}/federationmetadata/2007-06/"
                                 f"federationmetadata.xml?appid={app.app_id}")}

    def _tenant(self, ref: str) -> Tenant:
        tenant = self.directory.tenant(ref)
        if tenant is None:
            raise web.BadRequest(f"no tenant {ref!r}")
        return tenant

    def tenants(self) -> list[dict]:
        with self.directory.lock:
            tenants = list(self.directory.tenants.values())
        return [self.tenant_view(t) for t in tenants]

    def add_tenant(self, spec: dict) -> dict:
        """Adds a tenant with its `users`, `apps` and `saml_apps` (the config file's shape)."""
        self.directory.load({"tenants": [spec]})
        return self.tenant_view(spec["id"])

    def add_user(self, tenant: str, spec: dict) -> dict:
        return user_view(self.directory.add_user(tenant, spec))

    def add_app(self, tenant: str, spec: dict) -> dict:
        return app_view(self.directory.add_app(tenant, spec))

    def update_app(self, client_id: str, changes: dict) -> dict:
        return app_view(self.directory.update_app(client_id, changes))

    def add_saml_app(self, tenant: str, spec: dict) -> dict:
        return self.saml_app_view(self.directory.add_saml_app(tenant, spec))

    def update_saml_app(self, app_id: str, changes: dict) -> dict:
        return self.saml_app_view(self.directory.update_saml_app(app_id, changes))

    @staticmethod
    def _saml_cert_view(pair: pki.KeyPair, signing: bool) -> dict:
        return {"x5t": pair.x5t, "signing": signing, "pem": pair.cert_pem.decode(),
                "expires": pair.cert.not_valid_after_utc.isoformat()}

    def add_saml_certificate(self, tenant: str, *, activate: bool = False) -> dict:
        """Starts a SAML certificate rollover: a new certificate, listed in the metadata next to
        the current one; `activate` makes it sign at once."""
        pair = self.directory.add_saml_certificate(tenant, activate=activate)
        return self._saml_cert_view(pair, activate)

    def activate_saml_certificate(self, tenant: str, x5t: str) -> dict:
        """Makes a listed SAML certificate the one that signs."""
        return self._saml_cert_view(self.directory.activate_saml_certificate(tenant, x5t), True)

    def retire_saml_certificates(self, tenant: str) -> dict:
        """Ends a rollover: only the signing certificate stays in the metadata."""
        return {"retired": self.directory.retire_saml_certificates(tenant)}

    def saml_idp_initiated(self, tenant: str, app: str, username: str,
                           relay_state: str | None = None) -> dict:
        """The SAML Response Entra posts when `username` opens `app` (app_id or identifier) from
        My Apps: `acs_url`, `SAMLResponse` (base64), `RelayState`, and the auto-posting `form`."""
        return self._saml.idp_initiated(tenant, app, username, relay_state)

    # -- multi-tenant apps and workload identities (consent.py, workload.py) -----------------

    def grant_consent(self, client_id: str, tenant: str, *, admin: bool = True) -> dict:
        """Tenant-wide admin consent to a `consent_required` app, as if an admin accepted it
        (`admin=False`: a user's own consent, which grants no application permission)."""
        return self.consents.grant(client_id, tenant, admin=admin)

    def revoke_consent(self, client_id: str, tenant: str, *, application_only: bool = False) -> dict:
        """The tenant's admin deletes the app's enterprise application: consent gone
        (`application_only`: only its application permissions are revoked)."""
        return self.consents.revoke(client_id, tenant, application_only=application_only)

    def add_managed_identity(self, tenant: str, spec: dict | None = None) -> dict:
        """A user-assigned managed identity (`client_id`, `object_id` optional): its view names
        the issuer and subject a federated credential trusts, and IDENTITY_ENDPOINT/HEADER."""
        return self.identities.add(tenant, spec or {})

    def fail_identity_endpoint(self, status: int = 503, times: int = 1) -> None:
        self.identities.fail(status, times)

    def fail_graph(self, status: int | str = 503, times: int = 1) -> None:
        """The next `times` Graph requests answer `status`, or "garbage": a 200 that is not Graph's."""
        self.graph.fail(status, times)
    # -- users and groups changed at runtime (what provisioning then sends) -------------------

    def update_user(self, tenant: str, oid: str, changes: dict) -> dict:
        """`upn`, `name`, `given_name`, `family_name`, `email`, `mail_nickname`,
        `account_enabled`, `groups` (replaced)."""
        return user_view(self.directory.update_user(tenant, oid, changes))

    def delete_user(self, tenant: str, oid: str) -> dict:
        """Deletes the user permanently (provisioning then sends DELETE)."""
        return user_view(self.directory.delete_user(tenant, oid))

    def add_group(self, tenant: str, spec: dict) -> dict:
        group = self.directory.add_group(tenant, spec)
        return {"id": group.id, "display_name": group.display_name}

    def update_group(self, tenant: str, group_id: str, changes: dict) -> dict:
        """`display_name`, `add_members`, `remove_members` (user oids)."""
        group = self.directory.update_group(tenant, group_id, changes)
        return {"id": group.id, "display_name": group.display_name}

    def delete_group(self, tenant: str, group_id: str) -> dict:
        group = self.directory.delete_group(tenant, group_id)
        return {"id": group.id, "display_name": group.display_name}

    # -- provisioning (Enterprise application -> Provisioning -> Automatic) ---------------------

    def create_provisioning_job(self, tenant: str, spec: dict) -> dict:
        """A provisioning job for a non-gallery enterprise app: `tenant_url`, `secret_token`
        (required), `external_id` ("mailNickname", Entra's default, or "objectId"), `scope`
        ("all", or "assigned" with `assigned_users` / `assigned_groups`), `workers` (parallel
        requests, default 1), `ca_bundle` (to trust an https Tenant URL)."""
        job = ProvisioningJob(self.directory, self._tenant(tenant).id, spec)
        self.provisioning_jobs[job.id] = job
        return job.view()

    def provisioning_job(self, job_id: str) -> ProvisioningJob:
        job = self.provisioning_jobs.get(job_id)
        if job is None:
            raise web.BadRequest(f"no provisioning job {job_id!r}")
        return job

    def provisioning_status(self, job_id: str) -> dict:
        return self.provisioning_job(job_id).view()

    def test_provisioning_connection(self, job_id: str) -> dict:
        """Entra's Test Connection: `{"ok", "status", "detail"}`."""
        return self.provisioning_job(job_id).test_connection()

    def run_provisioning_cycle(self, job_id: str) -> dict:
        """One cycle now (initial first, then incremental); its summary."""
        return self.provisioning_job(job_id).run_cycle()

    def start_provisioning(self, job_id: str, interval_seconds: float = 2400) -> dict:
        """Cycles back to back, `interval_seconds` apart (Entra: about 40 minutes)."""
        job = self.provisioning_job(job_id)
        job.start(float(interval_seconds))
        return job.view()

    def stop_provisioning(self, job_id: str) -> dict:
        job = self.provisioning_job(job_id)
        job.stop()
        return job.view()

    def restart_provisioning(self, job_id: str) -> dict:
        """The next cycle is an initial one again (links to target objects are kept)."""
        job = self.provisioning_job(job_id)
        job.restart()
        return job.view()

    def assign_to_provisioning(self, job_id: str, users=(), groups=()) -> dict:
        job = self.provisioning_job(job_id)
        job.assign(users, groups)
        return job.view()

    def unassign_from_provisioning(self, job_id: str, users=(), groups=()) -> dict:
        """Out of scope: the next cycle disables those users (active false) in the target."""
        job = self.provisioning_job(job_id)
        job.unassign(users, groups)
        return job.view()

    def provisioning_requests(self, job_id: str, cycle: int | None = None) -> list[dict]:
        """Every request the job sent: method, path, query, body, status, seconds."""
        return self.provisioning_job(job_id).requests_sent(cycle)

    # -- faults ------------------------------------------------------------------------------

    def set_error(self, code, *, client_id=None, user=None, tenant=None, endpoint=None,
                  times=None) -> dict:
        """Makes the next matching requests fail with `code` (e.g. "AADSTS50105"), for one app,
        user (oid or UPN) or tenant, at one endpoint, `times` times (None: until cleared)."""
        tenant_id = self._tenant(tenant).id if tenant else None
        return self.faults.inject(code, client_id=client_id, user=user, tenant_id=tenant_id,
                                  endpoint=endpoint, times=times)

    def fail_token_endpoint(self, status: int = 503, times: int = 1) -> None:
        self.faults.fail_token_endpoint(status, times)

    def set_token_delay(self, seconds: float) -> None:
        self.faults.set_token_delay(seconds)

    def hold_token_endpoint(self):
        """The next token request waits for `.release()`; `.reached` (an Event) says it arrived."""
        return self.faults.hold_token_endpoint()

    def clear_errors(self) -> None:
        self.faults.clear()

    def errors(self) -> dict:
        return self.faults.view()

    # -- keys --------------------------------------------------------------------------------

    def rotate_keys(self) -> dict:
        """A new token signing key, published and signing from now on; the old ones stay in
        the JWKS until `retire_keys`."""
        return {"kid": self.keys.rotate().x5t}

    def retire_keys(self) -> dict:
        return {"retired": self.keys.retire()}


def start_simulator(*, config: dict | str | None = None, state_dir: str | None = None,
                    port: int = 0, browser_port: int | None = None) -> Simulator:
    """Starts the simulator on https://127.0.0.1:port (0: a free port).

    `config` is the config dict or a path to its JSON (default: demo_tenants.json); the CA and
    TLS files go to `state_dir` (default: a new temporary directory). `browser_port` (0: a free
    port) also serves the browser-facing pages on http://localhost:browser_port and advertises
    them there (`browser_origin`)."""
    if config is None or isinstance(config, str):
        with open(config or DEMO_CONFIG, encoding="utf-8") as f:
            config = json.load(f)
    return Simulator(config=config, state_dir=state_dir or tempfile.mkdtemp(prefix="entra-sim-"),
                     port=port, browser_port=browser_port)
