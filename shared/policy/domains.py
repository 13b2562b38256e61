"""Verified domains: claims, DNS TXT verification, one owner per domain, and home realm discovery.

An org claims a domain and gets a TXT record to publish at `_entra-sso.<domain>`; `verify`
reads it with a real DNS query. A domain is verified by one organization only: ownership is an
atomic insert in the `domains` table keyed by the domain (or, over a stale owner row, an
etag-conditional replace of it), so two orgs verifying at once cannot both win. The org's `verified_domains` (read-only in the org API) is then updated, etag-safe.

Records in the `domains` table (domain names never contain `_`, so the two kinds cannot collide):
- claim: partition `org_<slug>`, row `<domain>`: `{domain, organization, token, status, created,
  verified_at, org_created}`;
- owner: partition `<domain>`, row `owner`: `{domain, organization, org_created, verified_at}`.

`org_created` is the org record's `created`: deleting an org leaves its rows behind, and an org
later created with the same slug must not inherit them, so a row whose `org_created` differs
from the live org's is treated as absent (and an owner row like that may be taken over).

Matching is exact: verifying `contoso.com` says nothing about `eu.contoso.com`, which is claimed
and verified on its own.
"""

import secrets
from dataclasses import dataclass
from typing import Literal

from shared.orgs import connections, events, organizations
from shared.orgs.records import Connection, Organization
from shared.platform import validation as v
from shared.platform.errors import SsoError
from shared.platform.timestamps import iso
from shared.policy.dns_verification import VALUE_PREFIX, record_name, txt_values
from shared.storage import tables
from shared.storage.record import Record
from shared.storage.record_cache import RecordCache

TABLE = "domains"
OWNER_ROW = "owner"
CLAIM_PARTITION_PREFIX = "org_"
PENDING, VERIFIED = "pending", "verified"
MAX_PAGE = 100
_ORG_SAVE_ATTEMPTS = 5
_FOUND_SHOWN = 5

# Mailbox providers anyone can sign up to: no organization owns these, so none may claim them.
# Exact names, and brands whose every country domain is consumer (gmx.de, hotmail.co.uk, yahoo.com.au).
CONSUMER_DOMAINS = frozenset({
    "outlook.com", "hotmail.com", "live.com", "msn.com", "passport.com", "windowslive.com",
    "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "rocketmail.com",
    "icloud.com", "me.com", "mac.com", "aol.com", "aim.com",
    "proton.me", "protonmail.com", "protonmail.ch", "pm.me",
    "mail.com", "email.com", "web.de", "t-online.de", "freenet.de", "zoho.com", "zohomail.com",
    "yandex.com", "yandex.ru", "ya.ru", "mail.ru", "inbox.ru", "list.ru", "bk.ru", "rambler.ru",
    "qq.com", "163.com", "126.com", "yeah.net", "sina.com", "naver.com", "daum.net",
    "fastmail.com", "fastmail.fm", "hey.com", "tutanota.com", "tuta.io", "tutamail.com",
    "gmx.com", "gmx.net", "mailbox.org", "posteo.de", "hushmail.com", "laposte.net", "orange.fr",
    "free.fr", "libero.it", "virgilio.it", "rediffmail.com", "btinternet.com", "comcast.net",
})
CONSUMER_BRANDS = frozenset({"gmx", "hotmail", "outlook", "live", "msn", "yahoo", "ymail", "yandex", "googlemail"})
_SECOND_LEVEL = {"co", "com", "net", "org", "ne", "or"}


class DomainClaim(Record):
    domain: str
    organization: str
    token: str  # the TXT record's value is VALUE_PREFIX + token
    status: Literal["pending", "verified"]
    created: str
    verified_at: str | None
    org_created: str | None  # the claiming org's `created`


class DomainOwner(Record):
    domain: str
    organization: str
    org_created: str | None
    verified_at: str | None = None


@dataclass(frozen=True)
class Route:
    """Where home realm discovery sends an email: an org and one of its enabled connections."""

    organization: str
    connection: str | None


def is_consumer_domain(domain: str) -> bool:
    """outlook.com, gmx.de, hotmail.co.uk, yahoo.com.au, and anything under them (x.gmail.com)."""
    labels = domain.lower().rstrip(".").split(".")
    for start in range(len(labels) - 1):
        suffix = labels[start:]
        if ".".join(suffix) in CONSUMER_DOMAINS:
            return True
        if suffix[0] in CONSUMER_BRANDS:
            rest = suffix[1:]
            if len(rest) == 1 or (len(rest) == 2 and rest[0] in _SECOND_LEVEL and len(rest[1]) == 2):
                return True
    return False


def clean_domain(value) -> str:
    domain = v.domain("domain", value)
    if is_consumer_domain(domain):
        raise SsoError("consumer_domain", f"{domain} is a consumer email domain that anyone can sign up to; claim a domain your organization controls.")
    return domain


def path_domain(value: str) -> str:
    """A domain from a URL path: malformed is 404, like any unknown id."""
    try:
        return v.domain("domain", value)
    except SsoError:
        raise SsoError("not_found", "No such domain claim; check the domain.") from None


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].lower().rstrip(".")


# ---------------------------------------------------------------- records

def claim_partition(slug: str) -> str:
    return CLAIM_PARTITION_PREFIX + slug


def _live_claim(stored: tables.Stored | None, org: Organization) -> tables.Stored[DomainClaim] | None:
    """The claim read, when this incarnation of the org made it."""
    if stored is None:
        return None
    typed = stored.typed(DomainClaim.from_stored)
    return typed if typed.doc.org_created == org.created else None


def get_claim(org: Organization, domain: str) -> tables.Stored[DomainClaim] | None:
    return _live_claim(tables.get(TABLE, claim_partition(org.id), domain), org)


def require_claim(org: Organization, domain: str) -> tables.Stored[DomainClaim]:
    stored = get_claim(org, domain)
    if stored is None:
        raise SsoError("not_found", f"Organization {org.id!r} has no claim for {domain}; claim it with POST /api/organizations/{org.id}/domains.")
    return stored


def public_view(claim: DomainClaim) -> dict:
    return {
        "domain": claim.domain,
        "status": claim.status,
        "txt_record": {"name": record_name(claim.domain), "value": VALUE_PREFIX + claim.token},
    }


def claim(org: Organization, body: dict) -> tuple[dict, bool]:
    """Claims a domain for `org`; answers (the claim, created). Claiming again answers the same
    claim and token (a retried request must not change the record the admin published)."""
    if "domain" not in body:
        raise SsoError("missing_field", "`domain` is required, e.g. {\"domain\": \"contoso.com\"}.")
    domain = clean_domain(body["domain"])
    existing = get_claim(org, domain)
    if existing is not None:
        return public_view(existing.doc), False
    new = DomainClaim(domain=domain, organization=org.id, token=secrets.token_hex(16), status=PENDING, created=iso(), verified_at=None,
                      org_created=org.created)
    partition = claim_partition(org.id)
    try:
        tables.insert(TABLE, partition, domain, new.to_stored())
    except tables.AlreadyExists:
        other = tables.get(TABLE, partition, domain)
        won = _live_claim(other, org)
        if won is not None:  # a concurrent claim of the same domain won
            return public_view(won.doc), False
        try:  # a row left by a deleted org of the same slug: replace it
            if other is None:
                tables.insert(TABLE, partition, domain, new.to_stored())
            else:
                tables.replace(TABLE, partition, domain, new.to_stored(), other.etag)
        except (tables.EtagMismatch, tables.AlreadyExists):
            raise SsoError("conflict", "The claim changed while it was being made; send the request again.") from None
    events.record(org.id, "domain.claimed", detail={"domain": domain, "txt_record_name": record_name(domain)})
    return public_view(new), True


def list_claims(org: Organization, cursor: str | None, limit: int = 50) -> tuple[list[dict], str | None]:
    items, next_cursor = tables.query_page(
        TABLE, "PartitionKey eq @p", {"p": claim_partition(org.id)}, page_size=max(1, min(limit, MAX_PAGE)), cursor=cursor,
    )
    claims = (DomainClaim.from_stored(item.doc) for item in items)
    return [public_view(claim) for claim in claims if claim.org_created == org.created], next_cursor


# ---------------------------------------------------------------- ownership

def _owner_is_stale(owner: DomainOwner) -> bool:
    """The owning org was deleted (or re-created under its slug), or gave up its claim."""
    stored = organizations.get(owner.organization)
    if stored is None or stored.doc.created != owner.org_created:
        return True
    return get_claim(stored.doc, owner.domain) is None


def _read_owner(domain: str) -> tables.Stored[DomainOwner] | None:
    stored = tables.get(TABLE, domain, OWNER_ROW)
    return stored.typed(DomainOwner.from_stored) if stored is not None else None


def _owned_by(owner: DomainOwner, org: Organization) -> bool:
    return owner.organization == org.id and owner.org_created == org.created


def _take_ownership(org: Organization, domain: str) -> None:
    """Atomically makes `org` the one owner of `domain`, or raises `domain_taken`."""
    _owner_rows.forget(domain)
    doc = DomainOwner(domain=domain, organization=org.id, org_created=org.created, verified_at=iso()).to_stored()
    for _ in range(3):
        try:
            tables.insert(TABLE, domain, OWNER_ROW, doc)
            return
        except tables.AlreadyExists:
            pass
        current = _read_owner(domain)
        if current is None:
            continue  # released meanwhile: try the insert again
        if _owned_by(current.doc, org):
            return  # ours already (a verify that stopped half-way, or a concurrent one of ours)
        if not _owner_is_stale(current.doc):
            raise SsoError("domain_taken", f"{domain} is already verified by another organization; a domain belongs to one organization, which must delete its claim first.")
        try:  # take it over in one conditional write (a conditional delete would "succeed" for every racer)
            tables.replace(TABLE, domain, OWNER_ROW, doc, current.etag)
            return
        except tables.EtagMismatch:
            pass  # someone else changed (or released) it: look again
    raise SsoError("conflict", f"{domain} changed hands while it was being verified; verify again.")


def release_ownership(org: Organization, domain: str) -> None:
    _owner_rows.forget(domain)
    current = _read_owner(domain)
    if current is None or not _owned_by(current.doc, org):
        return
    try:
        tables.delete(TABLE, domain, OWNER_ROW, etag=current.etag)
    except tables.EtagMismatch:
        pass


def _update_verified_domains(slug: str, change) -> Organization:
    """Applies `change(list) -> list` to the org's verified_domains, re-reading on a lost race."""
    for _ in range(_ORG_SAVE_ATTEMPTS):
        stored = organizations.require(slug)
        current = list(stored.doc.verified_domains)
        wanted = change(current)
        if wanted == current:
            return stored.doc
        try:
            return organizations.save(stored.doc.replace(verified_domains=wanted), stored.etag).doc
        except SsoError as err:
            if err.code != "conflict":
                raise
    raise SsoError("conflict", "The organization kept changing while its verified domains were updated; retry.")


def verify(org: Organization, domain: str) -> dict:
    """Reads the TXT record and, when it holds the claim's value, makes the domain this org's."""
    stored = require_claim(org, domain)
    doc = stored.doc
    if doc.status == VERIFIED and domain in org.verified_domains:
        return public_view(doc)
    name, expected = record_name(domain), VALUE_PREFIX + doc.token

    def failed(err: SsoError, **detail) -> SsoError:
        events.record(org.id, "domain.verification_failed", outcome="failed", error=err.code,
                      detail={"domain": domain, "txt_record_name": name, **detail})
        return err

    if is_consumer_domain(domain):  # claims are refused up front; this guards rows from before a list change
        raise failed(SsoError("consumer_domain", f"{domain} is a consumer email domain; it cannot be verified."))
    try:
        found = txt_values(name)
    except SsoError as err:
        raise failed(err) from None
    if expected not in (value.strip() for value in found):
        ours = [value for value in found if value.strip().startswith(VALUE_PREFIX)] or found
        shown = ", ".join(repr(value[:120]) for value in ours[:_FOUND_SHOWN]) + (" ..." if len(ours) > _FOUND_SHOWN else "")
        message = (f"Expected a TXT record at {name} with the value {expected!r}; "
                   + (f"found {shown}." if found else "found no TXT record there.")
                   + " Publish the record exactly, wait for DNS to update, and verify again.")
        raise failed(SsoError("domain_not_verified", message), found=len(found))
    try:
        _take_ownership(org, domain)
    except SsoError as err:
        raise failed(err) from None
    _update_verified_domains(org.id, lambda current: current if domain in current else current + [domain])
    verified = doc.replace(status=VERIFIED, verified_at=iso())
    try:
        tables.replace(TABLE, stored.partition_key, stored.row_key, verified.to_stored(), stored.etag)
    except tables.EtagMismatch:
        pass  # a concurrent verify of ours wrote the same thing
    events.record(org.id, "domain.verified", detail={"domain": domain, "txt_record_name": name, "verified_at": verified.verified_at})
    return public_view(verified)


def remove(org: Organization, domain: str) -> None:
    """Deletes the claim: out of verified_domains first (routing stops at once), then out of the
    org's connections' `domains` (they list only verified domains), then ownership."""
    stored = require_claim(org, domain)
    _update_verified_domains(org.id, lambda current: [d for d in current if d != domain])
    connections.drop_domain(org.id, domain)
    release_ownership(org, domain)
    try:
        tables.delete(TABLE, stored.partition_key, stored.row_key)
    except tables.EtagMismatch:
        pass
    events.record(org.id, "domain.removed", detail={"domain": domain, "was": stored.doc.status})


def refuse_unverified(org: Organization, wanted: list[str]) -> None:
    """A connection's `domains` may name only domains `org` has verified: 400 `domain_unverified`
    for the first other one, saying what to do about it (`org` is a fresh admin-path read)."""
    verified = set(org.verified_domains)
    for domain in wanted:
        if domain in verified:
            continue
        base = f"/api/organizations/{org.id}/domains"
        owner = domain_owner(domain)
        claim_doc = get_claim(org, domain)
        if owner is not None and owner != org.id:
            how = "it is verified by another organization, and a domain belongs to one organization; that organization must delete its claim first."
        elif claim_doc is not None:
            how = (f"its claim is {claim_doc.doc.status}: publish the TXT record {record_name(domain)} with the value "
                   f"{VALUE_PREFIX + claim_doc.doc.token!r}, then POST {base}/{domain}/verify.")
        else:
            how = f"claim it with POST {base} {{\"domain\": \"{domain}\"}}, publish the TXT record it answers, then POST {base}/{domain}/verify."
        raise SsoError("domain_unverified", f"`domains`: {domain} is not a verified domain of organization {org.id!r}; {how}",
                       detail={"field": "domains", "domain": domain})


# ---------------------------------------------------------------- who owns a domain, where an email goes

# Ownership rows, cached like org records on the sign-in path (this instance's own
# verifications and removals drop the entry at once).
_owner_rows: RecordCache[tables.Stored[DomainOwner]] = RecordCache(organizations.CACHE_SECONDS)


def _owner_row(domain: str) -> tables.Stored[DomainOwner] | None:
    return _owner_rows.get(domain, _read_owner)


def _owning_org(domain: str) -> Organization | None:
    """The live org that verified `domain` (its record from the short sign-in cache), or None."""
    try:
        domain = v.domain("domain", domain)
    except SsoError:
        return None
    owner = _owner_row(domain)
    if owner is None:
        return None
    stored = organizations.get_cached(owner.doc.organization)
    if stored is None or stored.doc.created != owner.doc.org_created:
        return None
    if domain not in stored.doc.verified_domains:
        return None
    return stored.doc


def domain_owner(domain: str) -> str | None:
    """The slug of the organization that verified `domain`, or None."""
    org = _owning_org(domain)
    return org.id if org else None


def connection_for(org: Organization, domain: str | None, org_connections: list[Connection]) -> Connection | None:
    """The enabled connection that serves `domain` for `org`: one whose `domains` lists it (the
    org's default first, then the oldest), else the org's default connection when enabled, else
    its only enabled connection. None when none is enabled or the choice is ambiguous."""
    # A record without `enabled` (the API always writes it) serves nobody here.
    enabled = sorted((c for c in org_connections if c.has("enabled") and c.enabled), key=lambda c: (c.created or "", c.id))
    default = org.default_connection
    if domain:
        serving = [c for c in enabled if domain in c.domains]
        if serving:
            return next((c for c in serving if c.id == default), serving[0])
    chosen = next((c for c in enabled if c.id == default), None)
    if chosen is None and len(enabled) == 1:
        chosen = enabled[0]
    return chosen


def route_email(email: str) -> Route | None:
    """Home realm discovery: the org that verified the email's domain and allows SSO, and the
    enabled connection serving that domain; None means "sign in with a password". Users are
    never looked up, so the answer depends on the domain only."""
    domain = email_domain(email)
    org = _owning_org(domain)
    if org is None or "sso" not in (org.allowed_sign_in_methods if org.has("allowed_sign_in_methods") else ()):
        return None
    connection = connection_for(org, domain, connections.list_for(org.id))
    return Route(org.id, connection.id) if connection else None
