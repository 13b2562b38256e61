"""The org's directory in a sign-in (shared/directory/sign_in.py matches the user):
- a matched user's profile gains `directory_user_id` and `directory_groups` (`{id, name}`);
- `provisioning: "directory"` admits only active directory users: a deactivated, deleted or
  never provisioned user is refused with `user_deprovisioned`, at once (the user row is read
  fresh at every sign-in)."""
from __future__ import annotations

from shared.directory import sign_in
from shared.orgs.records import Connection, Organization
from shared.platform.errors import SsoError


def admit(org: Organization, connection: Connection, profile: dict) -> dict:
    """The profile to issue (unchanged when the org has no directory)."""
    found = sign_in.match(org, connection.id, profile) if org.directory_ids else None
    if org.provisioning == "directory" and (found is None or not found.active):
        state = "is deactivated" if found is not None else "is not (or no longer) provisioned"
        raise SsoError("user_deprovisioned", f"This user {state} in the organization's directory, which admits directory users only; "
                       "ask the organization's IT team to assign the user to the application in Entra (Users and groups) so provisioning adds it.")
    if found is None:
        return profile
    return {**profile, "directory_user_id": found.user.id, "directory_groups": sign_in.groups_of(found)}


def sso_required(org: Organization, email: str) -> bool:
    """For GET .../sign-in-policy?email=: SSO is required of a directory user when the org sets
    `sso_enforcement: "directory_users"` (an active one), or the user has `sso_required`."""
    if not org.directory_ids:
        return False
    matched = sign_in.by_email(org, email)
    if org.sso_enforcement == "directory_users" and any(user.scim.get("active", True) is not False for user in matched):
        return True
    return any(user.sso_required for user in matched)
