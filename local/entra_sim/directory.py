"""The simulated directories: tenants, their users, app registrations and SAML enterprise apps.

Loaded from the JSON config (schema in README.md) and changed at runtime by the control API, so
one lock guards everything. Lookups follow Entra's rules: a tenant is named by its GUID or by
one of its verified domains; an app registration lives in its home tenant, and a multi-tenant
one is usable from every tenant (the simulator assumes it is consented everywhere)."""

import datetime
import threading
import uuid
from dataclasses import dataclass, field

from cryptography import x509

from . import pki

# Entra puts a `groups` claim in a JWT for at most this many groups, else the overage form.
JWT_GROUPS_LIMIT = 200
SAML_CERT_DAYS = 3 * 365  # Entra's SAML signing certificates are valid for three years.
SAML_SIGNINGS = ("assertion", "response", "both")
SAML_ALGORITHMS = ("sha256", "sha1")
APP_CHANGES = {"sign_in_audience", "redirect_uris", "optional_claims", "groups_claim",
               "assignment_required", "assigned_users", "secrets", "certificates",
               "remove_secrets", "remove_certificates", "federated_credentials",
               "delegated_permissions", "application_permissions"}
# Directory roles that can grant tenant-wide admin consent (their template ids, as in `wids`).
CONSENT_ADMIN_ROLES = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
}
MEMBER_ROLE = "b79fbf4d-3ef9-4689-8143-76b194e85509"  # every member's `wids` lists the User role

USER_CHANGES = {"upn", "name", "given_name", "family_name", "email", "mail_nickname",
                "account_enabled", "groups"}


class ConfigError(ValueError):
    """A tenant, user or app definition that is malformed or clashes with an existing one."""


def _guid(value, what: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ConfigError(f"{what} must be a GUID, got {value!r}") from None


def _require(spec: dict, key: str, what: str):
    if not spec.get(key):
        raise ConfigError(f"{what} needs '{key}'")
    return spec[key]


def _expiry(value) -> datetime.datetime:
    """`YYYY-MM-DD` (end of that day, UTC, like the portal's date) or an ISO date-time."""
    text = str(value)
    if len(text) == 10:
        day = datetime.date.fromisoformat(text)
        return datetime.datetime.combine(day, datetime.time.max, datetime.timezone.utc)
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def _secret(spec: dict) -> "Secret":
    return Secret(value=_require(spec, "value", "a secret"),
                  expires=_expiry(spec.get("expires_on", "2099-12-31")), key_id=str(uuid.uuid4()))


def _oids(values) -> set[str]:
    return {_guid(v, "assigned user oid") for v in values}


def _certificate(pem: str, client_id: str) -> x509.Certificate:
    try:
        return pki.load_certificate(pem)
    except ValueError as e:
        raise ConfigError(f"app {client_id}: unreadable certificate ({e})") from None


def _federated(specs) -> list[dict]:
    for spec in specs:
        if not all(isinstance(spec.get(k), str) and spec[k] for k in ("issuer", "subject")):
            raise ConfigError("a federated credential needs 'issuer' and 'subject'")
    return [{"name": s.get("name", "fic"), "issuer": s["issuer"], "subject": s["subject"],
             "audiences": list(s.get("audiences", ["api://AzureADTokenExchange"]))} for s in specs]


@dataclass
class User:
    oid: str
    upn: str
    name: str
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    email_domain_owner_verified: bool = False  # Entra's xms_edov
    groups: list[str] = field(default_factory=list)
    user_type: str = "Member"  # or "Guest"
    home_tenant_id: str | None = None  # guests: the tenant that vouches for them (`idp` claim)
    sign_in_name: str | None = None  # guests sign in with their home address, not the #EXT# UPN
    roles: list[str] = field(default_factory=list)  # directory role template ids (`wids`)
    account_enabled: bool = True  # false: "Block sign in", which provisioning sends as active false
    mail_nickname: str | None = None  # Entra's alias; the default source of SCIM externalId

    @property
    def preferred_username(self) -> str:
        return self.sign_in_name or self.upn

    def signs_in_as(self, name: str) -> bool:
        return (name or "").lower() in self.names()

    def names(self) -> set[str]:
        return {self.upn.lower(), self.preferred_username.lower()}

    def saml_view(self) -> dict:
        """The user as `saml_idp.build_response` takes it."""
        return {"oid": self.oid, "upn": self.upn, "name": self.name,
                "given_name": self.given_name, "family_name": self.family_name,
                "email": self.email, "groups": list(self.groups)}


@dataclass
class Secret:
    value: str
    expires: datetime.datetime
    key_id: str


@dataclass
class App:
    """An app registration (OIDC)."""

    client_id: str
    tenant_id: str
    name: str
    multi_tenant: bool = False
    redirect_uris: list[str] = field(default_factory=list)
    secrets: list[Secret] = field(default_factory=list)
    certificates: list[x509.Certificate] = field(default_factory=list)
    optional_claims: set[str] = field(default_factory=set)  # "email", "xms_edov", "acct"
    groups_claim: bool = False
    assignment_required: bool = False
    assigned_users: set[str] = field(default_factory=set)  # oids
    # A multi-tenant app usable only in tenants whose admin consented (consent.py); without it,
    # the simulator assumes consent everywhere, as before.
    consent_required: bool = False
    consented_tenants: set[str] = field(default_factory=set)
    # Workload identity federation: {"issuer", "subject", "audiences"} (federation.py)
    federated_credentials: list[dict] = field(default_factory=list)
    # Microsoft Graph API permissions of the registration: the delegated ones are in the `scp`
    # of its users' access tokens (a new registration has User.Read); the application ones are
    # the `roles` of its client-credentials tokens, only in tenants whose admin granted them
    # (admin consent: `admin_consented_tenants`; a user's own consent grants none).
    delegated_permissions: set[str] = field(default_factory=lambda: {"User.Read"})
    application_permissions: set[str] = field(default_factory=set)
    admin_consented_tenants: set[str] = field(default_factory=set)

    def app_roles_in(self, tenant_id: str) -> list[str]:
        granted = not self.consent_required or tenant_id in self.admin_consented_tenants
        return sorted(self.application_permissions) if granted else []

    def consented_in(self, tenant_id: str) -> bool:
        # personal accounts consent for themselves: the consumer tenant has no admin to ask
        return (not self.consent_required or tenant_id in (self.tenant_id, "9188040d-6c67-4c5b-b112-36a304b66dad")
                or tenant_id in self.consented_tenants)


@dataclass
class SamlApp:
    """A non-gallery enterprise app set up for SAML single sign-on."""

    app_id: str
    tenant_id: str
    name: str
    identifier: str
    reply_urls: list[str]
    sign: str = "assertion"
    algorithm: str = "sha256"
    name_id_format: str = "persistent"
    assignment_required: bool = False
    assigned_users: set[str] = field(default_factory=set)

    def idp_view(self) -> dict:
        """The app as `saml_idp.build_response` takes it."""
        return {"identifier": self.identifier, "app_id": self.app_id, "name": self.name}


@dataclass
class Group:
    """A security group as provisioning reads it; its members are the users listing its id."""

    id: str
    display_name: str


@dataclass
class Tenant:
    id: str
    name: str
    domains: list[str]
    region_scope: str = "NA"
    users: dict[str, User] = field(default_factory=dict)  # by oid
    saml_certs: list[pki.KeyPair] = field(default_factory=list)  # signing one first
    groups: dict[str, Group] = field(default_factory=dict)  # by id; only these are provisioned
    names: dict[str, str] = field(default_factory=dict)  # lowercase UPN / sign-in name -> oid


class Directory:
    def __init__(self):
        self.lock = threading.RLock()
        self.tenants: dict[str, Tenant] = {}
        self.apps: dict[str, App] = {}  # by client_id
        self.saml_apps: dict[str, SamlApp] = {}  # by app_id

    # -- loading ---------------------------------------------------------------------------

    def load(self, config: dict) -> None:
        for spec in config.get("tenants", []):
            with self.lock:
                tenant = self.add_tenant(spec)
                try:
                    for user in spec.get("users", []):
                        self.add_user(tenant.id, user)
                    for app in spec.get("apps", []):
                        self.add_app(tenant.id, app)
                    for app in spec.get("saml_apps", []):
                        self.add_saml_app(tenant.id, app)
                    for group in spec.get("groups", []):
                        self.add_group(tenant.id, group)
                except ConfigError:  # all of the tenant or none of it
                    self._remove_tenant(tenant.id)
                    raise

    def _remove_tenant(self, tenant_id: str) -> None:
        del self.tenants[tenant_id]
        for apps in (self.apps, self.saml_apps):
            for key in [k for k, a in apps.items() if a.tenant_id == tenant_id]:
                del apps[key]

    def add_tenant(self, spec: dict) -> Tenant:
        tenant_id = _guid(_require(spec, "id", "a tenant"), "tenant id")
        domains = [d.lower() for d in _require(spec, "domains", "a tenant")]
        with self.lock:
            if tenant_id in self.tenants:
                raise ConfigError(f"tenant {tenant_id} already exists")
            taken = {d for t in self.tenants.values() for d in t.domains}
            if taken.intersection(domains):
                raise ConfigError(f"domain(s) {sorted(taken.intersection(domains))} taken")
            tenant = Tenant(id=tenant_id, name=spec.get("name") or domains[0], domains=domains,
                            region_scope=spec.get("region_scope", "NA"))
            tenant.saml_certs.append(pki.self_signed("Microsoft Azure Federated SSO Certificate",
                                                     days=SAML_CERT_DAYS))
            self.tenants[tenant_id] = tenant
            return tenant

    def add_user(self, tenant_ref: str, spec: dict) -> User:
        upn = _require(spec, "upn", "a user")
        groups = [_guid(g, "group id") for g in spec.get("groups", [])]
        oid = _guid(spec.get("oid") or uuid.uuid4(), "user oid")
        # Synthetic memberships, to push a user past the JWT groups limit without listing them.
        groups += [str(uuid.uuid5(uuid.UUID(oid), f"group-{i}"))
                   for i in range(int(spec.get("extra_group_count", 0)))]
        user = User(
            oid=oid, upn=upn, name=spec.get("name") or upn,
            given_name=spec.get("given_name"), family_name=spec.get("family_name"),
            email=spec.get("email"), email_domain_owner_verified=bool(spec.get("xms_edov")),
            groups=groups, user_type=spec.get("user_type", "Member"),
            home_tenant_id=spec.get("home_tenant_id"), sign_in_name=spec.get("sign_in_name"),
            roles=[_guid(r, "role template id") for r in spec.get("roles", [])],
            account_enabled=spec.get("account_enabled", True) is not False,
            mail_nickname=spec.get("mail_nickname") or upn.split("@")[0])
        with self.lock:
            tenant = self._tenant_or_fail(tenant_ref)
            if user.oid in tenant.users or user.names() & tenant.names.keys():
                raise ConfigError(f"user {upn} / {user.oid} already exists in {tenant.name}")
            tenant.users[user.oid] = user
            tenant.names.update(dict.fromkeys(user.names(), user.oid))
            return user

    def add_app(self, tenant_ref: str, spec: dict) -> App:
        client_id = _guid(spec.get("client_id") or uuid.uuid4(), "client_id")
        certificates = [_certificate(c, client_id) for c in spec.get("certificates", [])]
        secrets = [_secret(s) for s in spec.get("secrets", [])]
        with self.lock:
            tenant = self._tenant_or_fail(tenant_ref)
            if client_id in self.apps or client_id in self.saml_apps:
                raise ConfigError(f"app {client_id} already exists")
            app = App(
                client_id=client_id, tenant_id=tenant.id, name=spec.get("name") or client_id,
                multi_tenant=spec.get("sign_in_audience") == "AzureADMultipleOrgs",
                redirect_uris=list(spec.get("redirect_uris", [])), secrets=secrets,
                certificates=certificates, optional_claims=set(spec.get("optional_claims", [])),
                groups_claim=bool(spec.get("groups_claim")),
                assignment_required=bool(spec.get("assignment_required")),
                assigned_users=_oids(spec.get("assigned_users", [])),
                consent_required=bool(spec.get("consent_required")),
                federated_credentials=_federated(spec.get("federated_credentials", [])),
                delegated_permissions=set(spec.get("delegated_permissions", ["User.Read"])),
                application_permissions=set(spec.get("application_permissions", [])))
            self.apps[client_id] = app
            return app

    def add_saml_app(self, tenant_ref: str, spec: dict) -> SamlApp:
        app_id = _guid(spec.get("app_id") or uuid.uuid4(), "app_id")
        identifier = _require(spec, "identifier", "a SAML app")
        reply_urls = spec.get("reply_urls") or [_require(spec, "reply_url", "a SAML app")]
        sign = spec.get("sign", "assertion")
        algorithm = spec.get("algorithm", "sha256")
        if sign not in SAML_SIGNINGS or algorithm not in SAML_ALGORITHMS:
            raise ConfigError(f"SAML app {identifier}: sign one of {SAML_SIGNINGS}, "
                              f"algorithm one of {SAML_ALGORITHMS}")
        with self.lock:
            tenant = self._tenant_or_fail(tenant_ref)
            if self.saml_app(tenant, identifier) or app_id in self.saml_apps:
                raise ConfigError(f"SAML app {identifier} / {app_id} already exists")
            app = SamlApp(
                app_id=app_id, tenant_id=tenant.id, name=spec.get("name") or identifier,
                identifier=identifier, reply_urls=list(reply_urls), sign=sign,
                algorithm=algorithm, name_id_format=spec.get("name_id_format", "persistent"),
                assignment_required=bool(spec.get("assignment_required")),
                assigned_users=_oids(spec.get("assigned_users", [])))
            self.saml_apps[app_id] = app
            return app

    # -- changes after start ---------------------------------------------------------------

    def update_saml_app(self, app_id: str, changes: dict) -> SamlApp:
        """Changes an enterprise app's SAML Certificates settings as an admin would: `sign`, `algorithm`."""
        unknown = set(changes) - {"sign", "algorithm"}
        if unknown:
            raise ConfigError(f"unknown SAML app setting(s) {sorted(unknown)}")
        if changes.get("sign", SAML_SIGNINGS[0]) not in SAML_SIGNINGS or changes.get("algorithm", SAML_ALGORITHMS[0]) not in SAML_ALGORITHMS:
            raise ConfigError(f"sign one of {SAML_SIGNINGS}, algorithm one of {SAML_ALGORITHMS}")
        with self.lock:
            app = self.saml_apps.get(_guid(app_id, "app_id"))
            if app is None:
                raise ConfigError(f"no SAML app {app_id}")
            for name, value in changes.items():
                setattr(app, name, value)
            return app

    def update_app(self, client_id: str, changes: dict) -> App:
        """Changes an app registration as an admin would in the portal. `secrets` and
        `certificates` are added; `remove_secrets` (values) and `remove_certificates` (SHA-1
        x5t thumbprints) take them away; the other keys replace the setting."""
        unknown = set(changes) - APP_CHANGES
        if unknown:
            raise ConfigError(f"unknown app setting(s) {sorted(unknown)}")
        secrets = [_secret(s) for s in changes.get("secrets", [])]
        certificates = [_certificate(c, client_id) for c in changes.get("certificates", [])]
        with self.lock:
            app = self.apps.get((client_id or "").lower())
            if app is None:
                raise ConfigError(f"no app {client_id}")
            if "sign_in_audience" in changes:
                app.multi_tenant = changes["sign_in_audience"] == "AzureADMultipleOrgs"
            if "redirect_uris" in changes:
                app.redirect_uris = list(changes["redirect_uris"])
            if "optional_claims" in changes:
                app.optional_claims = set(changes["optional_claims"])
            for flag in ("groups_claim", "assignment_required"):
                if flag in changes:
                    setattr(app, flag, bool(changes[flag]))
            if "assigned_users" in changes:
                app.assigned_users = _oids(changes["assigned_users"])
            if "federated_credentials" in changes:
                app.federated_credentials = _federated(changes["federated_credentials"])
            for permissions in ("delegated_permissions", "application_permissions"):
                if permissions in changes:
                    setattr(app, permissions, set(changes[permissions]))
            gone = set(changes.get("remove_secrets", []))
            app.secrets = [s for s in app.secrets if s.value not in gone] + secrets
            gone = set(changes.get("remove_certificates", []))
            app.certificates = [c for c in app.certificates
                                if pki.x5t(c) not in gone]
            app.certificates += certificates
            return app

    def _tenant_or_fail(self, ref: str) -> Tenant:
        tenant = self.tenant(ref)
        if tenant is None:
            raise ConfigError(f"no tenant {ref!r}")
        return tenant

    def add_saml_certificate(self, tenant_ref: str, *, activate: bool) -> pki.KeyPair:
        """A new SAML signing certificate, listed in the metadata; `activate` makes it sign."""
        new = pki.self_signed("Microsoft Azure Federated SSO Certificate", days=SAML_CERT_DAYS)
        with self.lock:
            tenant = self._tenant_or_fail(tenant_ref)
            if activate:
                tenant.saml_certs.insert(0, new)
            else:
                tenant.saml_certs.append(new)
        return new

    def activate_saml_certificate(self, tenant_ref: str, x5t: str) -> pki.KeyPair:
        with self.lock:
            tenant = self._tenant_or_fail(tenant_ref)
            pair = next((p for p in tenant.saml_certs if p.x5t == x5t), None)
            if pair is None:
                raise ConfigError(f"no SAML certificate {x5t} in {tenant.name}")
            tenant.saml_certs.remove(pair)
            tenant.saml_certs.insert(0, pair)
            return pair

    def retire_saml_certificates(self, tenant_ref: str) -> list[str]:
        """Drops every SAML certificate but the signing one (the end of a rollover)."""
        with self.lock:
            tenant = self._tenant_or_fail(tenant_ref)
            retired, tenant.saml_certs = tenant.saml_certs[1:], tenant.saml_certs[:1]
        return [p.x5t for p in retired]

    # -- lookups ---------------------------------------------------------------------------

    def tenant(self, ref: str) -> Tenant | None:
        """A tenant by GUID or by one of its domains (case-insensitive)."""
        with self.lock:
            ref = (ref or "").lower()
            if ref in self.tenants:
                return self.tenants[ref]
            return next((t for t in self.tenants.values() if ref in t.domains), None)

    def user_by_upn(self, tenant: Tenant, name: str) -> User | None:
        with self.lock:
            oid = tenant.names.get((name or "").lower())
            return tenant.users.get(oid) if oid else None

    def app_in(self, tenant: Tenant | None, client_id: str) -> App | None:
        """The app as seen from `tenant` (None: a multi-tenant authority such as organizations)."""
        with self.lock:
            app = self.apps.get((client_id or "").lower())
        if app is None:
            return None
        if tenant is None or app.tenant_id == tenant.id or app.multi_tenant:
            return app
        return None

    def saml_app(self, tenant: Tenant, identifier: str) -> SamlApp | None:
        with self.lock:
            return next((a for a in self.saml_apps.values()
                         if a.tenant_id == tenant.id and a.identifier == identifier), None)

    # -- users and groups as an admin changes them (what provisioning then sends) ------------

    def update_user(self, tenant_ref: str, oid: str, changes: dict) -> User:
        """Changes a user's profile as an admin would: `upn`, `name`, `given_name`,
        `family_name`, `email`, `mail_nickname`, `account_enabled` (false: blocked), `groups`
        (replaced: the group ids the user is a direct member of)."""
        unknown = set(changes) - USER_CHANGES
        if unknown:
            raise ConfigError(f"unknown user field(s) {sorted(unknown)}; allowed {sorted(USER_CHANGES)}")
        groups = [_guid(g, "group id") for g in changes.get("groups", [])]
        with self.lock:
            tenant = self._tenant_or_fail(tenant_ref)
            user = self._user_or_fail(tenant, oid)
            other = self.user_by_upn(tenant, changes["upn"]) if changes.get("upn") else None
            if other is not None and other is not user:
                raise ConfigError(f"upn {changes['upn']} is taken in {tenant.name}")
            for name in user.names():
                tenant.names.pop(name, None)
            for name in USER_CHANGES - {"groups", "account_enabled"}:
                if name in changes:
                    setattr(user, name, changes[name])
            tenant.names.update(dict.fromkeys(user.names(), user.oid))
            if "account_enabled" in changes:
                user.account_enabled = changes["account_enabled"] is not False
            if "groups" in changes:
                user.groups = groups
            return user

    def delete_user(self, tenant_ref: str, oid: str) -> User:
        """Deletes a user permanently (Entra's hard delete, after the recycle bin)."""
        with self.lock:
            tenant = self._tenant_or_fail(tenant_ref)
            user = tenant.users.pop(self._user_or_fail(tenant, oid).oid)
            for name in user.names():
                tenant.names.pop(name, None)
            return user

    def _user_or_fail(self, tenant: Tenant, oid: str) -> User:
        user = tenant.users.get(str(oid).lower())
        if user is None:
            raise ConfigError(f"no user {oid} in {tenant.name}")
        return user

    def add_group(self, tenant_ref: str, spec: dict) -> Group:
        """A group (`id` default random, `display_name`) with optional `members` (user oids)."""
        group = Group(id=_guid(spec.get("id") or uuid.uuid4(), "group id"),
                      display_name=_require(spec, "display_name", "a group"))
        with self.lock:
            tenant = self._tenant_or_fail(tenant_ref)
            if group.id in tenant.groups:
                raise ConfigError(f"group {group.id} already exists in {tenant.name}")
            members = [self._user_or_fail(tenant, oid) for oid in spec.get("members", [])]
            tenant.groups[group.id] = group
            for user in members:
                if group.id not in user.groups:
                    user.groups.append(group.id)
            return group

    def update_group(self, tenant_ref: str, group_id: str, changes: dict) -> Group:
        """`display_name` (a rename), `add_members` / `remove_members` (user oids)."""
        unknown = set(changes) - {"display_name", "add_members", "remove_members"}
        if unknown:
            raise ConfigError(f"unknown group field(s) {sorted(unknown)}")
        with self.lock:
            tenant = self._tenant_or_fail(tenant_ref)
            group = self._group_or_fail(tenant, group_id)
            if changes.get("display_name"):
                group.display_name = changes["display_name"]
            for oid in changes.get("add_members", []):
                user = self._user_or_fail(tenant, oid)
                if group.id not in user.groups:
                    user.groups.append(group.id)
            for oid in changes.get("remove_members", []):
                user = self._user_or_fail(tenant, oid)
                user.groups = [g for g in user.groups if g != group.id]
            return group

    def delete_group(self, tenant_ref: str, group_id: str) -> Group:
        with self.lock:
            tenant = self._tenant_or_fail(tenant_ref)
            group = tenant.groups.pop(self._group_or_fail(tenant, group_id).id)
            for user in tenant.users.values():
                user.groups = [g for g in user.groups if g != group.id]
            return group

    def _group_or_fail(self, tenant: Tenant, group_id: str) -> Group:
        group = tenant.groups.get(str(group_id).lower())
        if group is None:
            raise ConfigError(f"no group {group_id} in {tenant.name}")
        return group
