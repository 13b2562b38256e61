"""An organization's sign-in policy: which methods an email may use, the rule that refuses a
policy leaving the org with no way in, and admission of SSO sign-ins (invitations).

For one email (`policy_for`):
- a break-glass email (`break_glass_emails`) keeps password sign-in whatever else is set: even
  when `allowed_sign_in_methods` lacks `password`, and whatever `sso_enforcement` says. That is
  what it is for: the way in when the SSO connection is broken;
- otherwise SSO is required when `password` is not an allowed method, or `sso_enforcement` is
  `verified_domains` and the email's domain is one of the org's verified domains, or it is
  `listed_users` and the email is in `sso_required_emails`;
- password is allowed when it is an allowed method and SSO is not required;
- `connection` is the enabled connection the email would sign in through when `sso` is allowed
  (the one serving its domain, else the org's default, else its only enabled one), or null.

The lock-out rule (`lock_out_problem`), checked when an org is created and whenever a PATCH
changes `allowed_sign_in_methods`, `sso_enforcement` or `break_glass_emails`: with no
break-glass email, a policy is refused with `policy_locks_out` when
1. `password` is not an allowed method (SSO required for everyone), or
2. `sso_enforcement` is `verified_domains` (SSO required for everyone on the org's domains, that
   is the org's own people), or
3. `sso_enforcement` is not `none` while `sso` is not an allowed method (the enforced users
   would have neither method).
SSO-for-everyone without a break-glass account is refused even while a connection works: a
client secret that expires, or an Entra outage, would otherwise leave nobody able to sign in to
fix it. Because every such policy has a break-glass email, disabling or deleting a connection
can never lock the org out, so connection changes need no check of their own. `listed_users`
forces only the listed emails; everyone else keeps password. `directory_users` forces the org's
active directory users (shared/policy/directory_admission.py), and a directory user with
`sso_required` is forced whatever the mode.
"""
from __future__ import annotations

from shared.orgs import connections
from shared.orgs.records import Connection, Organization
from shared.platform.errors import SsoError
from shared.policy import directory_admission, invitations
from shared.policy.domains import connection_for, email_domain

LOCK_OUT_FIELDS = frozenset({"allowed_sign_in_methods", "sso_enforcement", "break_glass_emails"})
DEFAULT_METHODS = ("password", "sso")


def _methods(org: Organization) -> tuple:
    return tuple(org.allowed_sign_in_methods or DEFAULT_METHODS)


def lock_out_problem(org: Organization) -> str | None:
    """Why this policy leaves the org with no way in, or None when it does not."""
    if org.break_glass_emails:
        return None
    methods, mode = _methods(org), org.sso_enforcement or "none"
    fix = "add at least one admin email to `break_glass_emails` (it keeps password sign-in whatever the policy)"
    if "password" not in methods:
        return f"`allowed_sign_in_methods` without `password` requires SSO for everyone and `break_glass_emails` is empty: {fix}, or allow `password`."
    if mode == "verified_domains":
        return f"`sso_enforcement` `verified_domains` requires SSO for everyone on the organization's domains and `break_glass_emails` is empty: {fix}, or use `listed_users`."
    if mode != "none" and "sso" not in methods:
        return f"`sso_enforcement` `{mode}` requires SSO but `allowed_sign_in_methods` does not allow `sso`: allow `sso`, or set `sso_enforcement` to `none`."
    return None


def refuse_lock_out(org: Organization) -> None:
    problem = lock_out_problem(org)
    if problem:
        raise SsoError("policy_locks_out", problem)


def policy_for(org: Organization, email: str, org_connections: list[Connection] | None = None) -> dict:
    """`{password_allowed, sso_required, connection}` for `email` (already validated, lowercase)."""
    methods, mode = _methods(org), org.sso_enforcement or "none"
    domain = email_domain(email)
    on_verified_domain = domain in org.verified_domains
    break_glass = email in {e.lower() for e in org.break_glass_emails}
    if break_glass:
        sso_required = False
    else:
        sso_required = (
            "password" not in methods
            or (mode == "verified_domains" and on_verified_domain)
            or (mode == "listed_users" and email in {e.lower() for e in org.sso_required_emails})
            or directory_admission.sso_required(org, email)
        )
    password_allowed = break_glass or ("password" in methods and not sso_required)
    connection = None
    if "sso" in methods:
        chosen = connection_for(org, domain if on_verified_domain else None,
                                org_connections if org_connections is not None else connections.list_for(org.id))
        connection = chosen.id if chosen else None
    return {"password_allowed": password_allowed, "sso_required": sso_required, "connection": connection}


def admit(org: Organization, connection: Connection, profile: dict) -> None:
    """Called by the sign-in callbacks once the profile is built: in an `invite_only` org the
    profile's email must be verified (`email_verified` true) and invited, else `user_not_invited`.
    A `jit` org admits any user the connection signs in."""
    if org.provisioning != "invite_only":
        return
    email = profile.get("email")
    if profile.get("email_verified") is not True or not isinstance(email, str) or not email.strip():
        raise SsoError("user_not_invited", "This organization admits invited users only, and the email this sign-in carries is not verified "
                       "for it (its domain must be one of the organization's verified domains, vouched for by Entra); sign in with your organization account.")
    if not invitations.is_invited(org, email):
        raise SsoError("user_not_invited", "This organization admits invited users only, and this email has not been invited; "
                       "ask the organization's administrator to invite it.")
