"""The `{tenant}` path segment of every Entra endpoint: a tenant GUID, one of its domains, or a
multi-tenant authority (`organizations`, `common`) whose issuer is the `{tenantid}` template."""

from dataclasses import dataclass

from .aadsts import EntraError
from .directory import Directory, Tenant

MULTI_TENANT = ("organizations", "common")
TENANT_TEMPLATE = "{tenantid}"
# Personal Microsoft accounts live in this tenant; `consumers` names it, `organizations` leaves it out.
CONSUMER_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"


@dataclass(frozen=True)
class Realm:
    ref: str  # as written in the path
    tenant: Tenant | None  # None for organizations / common

    @property
    def segment(self) -> str:
        """What Entra writes in the endpoints it advertises: the GUID, even when asked by domain."""
        return self.tenant.id if self.tenant else self.ref

    @property
    def display(self) -> str:
        return self.tenant.name if self.tenant else self.ref

    def accounts(self, directory: Directory) -> list[tuple[Tenant, object]]:
        """Who may sign in here: the tenant's users, or everyone for a multi-tenant authority."""
        with directory.lock:
            tenants = [self.tenant] if self.tenant else [t for t in directory.tenants.values()
                                                         if self.ref == "common" or t.id != CONSUMER_TENANT]
            return [(t, u) for t in tenants for u in t.users.values()]


def resolve(directory: Directory, ref: str) -> Realm:
    if ref.lower() in MULTI_TENANT:
        return Realm(ref.lower(), None)
    if ref.lower() == "consumers" and directory.tenant(CONSUMER_TENANT):
        return Realm("consumers", directory.tenant(CONSUMER_TENANT))
    tenant = directory.tenant(ref)
    if tenant is None:
        raise EntraError(90002, tenant=ref)
    return Realm(ref, tenant)
