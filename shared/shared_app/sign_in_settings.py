"""Sign in with Microsoft for any account: the stamp-level setting (`PUT /api/microsoft-sign-in`,
global key), one row of the `connections` table, and the activity partition its sign-ins use.

That partition (`~microsoft`, which no org slug can be) holds its login states and codes the way
an org's partition holds an org's, guarded by the same marker, made when the setting is first
saved. A code of it names that partition, so only the global key can redeem it (an org key's
organization never matches).
"""

from shared.oidc.any_account import TENANT_TYPES
from shared.platform import validation as v
from shared.platform.errors import SsoError
from shared.platform.timestamps import iso
from shared.storage import activity, tables
from shared.storage.record import Record

PARTITION = "~microsoft"  # the activity partition of these sign-ins (not an org slug: `~` is never in one)
CONNECTION = "microsoft"  # the profile's `connection`
_TABLE, _PK, _RK = "connections", "stamp", "microsoft_sign_in"
FIELDS = frozenset({"enabled", "tenant_type", "redirect_uris"})


class MicrosoftSignIn(Record):
    enabled: bool = False
    tenant_type: str = "common"  # common | organizations | consumers | a tenant GUID
    redirect_uris: list[str] = []
    updated: str | None = None


def _tenant_type(field: str, value) -> str:
    if value in TENANT_TYPES:
        return value
    if isinstance(value, str):
        try:
            return v.guid(field, value)
        except SsoError:
            pass
    raise v.invalid(field, "common, organizations, consumers, or one Directory (tenant) ID")


def current() -> MicrosoftSignIn:
    stored = tables.get(_TABLE, _PK, _RK)
    return MicrosoftSignIn.from_stored(stored.doc) if stored else MicrosoftSignIn()


def save(body: dict) -> MicrosoftSignIn:
    """Replaces the setting (PUT): every field given, each validated."""
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise SsoError("unknown_field", f"Unknown field(s) {', '.join(unknown)}. Accepted: {', '.join(sorted(FIELDS))}.")
    missing = sorted(FIELDS - set(body))
    if missing:
        raise SsoError("missing_field", f"Give {', '.join(missing)}: PUT replaces the whole setting.")
    setting = MicrosoftSignIn(enabled=v.boolean("enabled", body["enabled"]), tenant_type=_tenant_type("tenant_type", body["tenant_type"]),
                              redirect_uris=v.string_list("redirect_uris", body["redirect_uris"], v.url, max_items=20), updated=iso())
    activity.create_marker(PARTITION)  # before the first sign-in can write there
    tables.upsert(_TABLE, _PK, _RK, setting.to_stored())
    return setting
