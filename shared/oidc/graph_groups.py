"""A user's groups from Microsoft Graph, when the ID token had too many to carry (overage).

`GET {SSO_GRAPH_HOST}/v1.0/me/transitiveMemberOf/microsoft.graph.group?$select=id&$top=999`
with the sign-in's own delegated token (User.Read + GroupMember.Read.All), or
`/v1.0/users/{oid}/...` with an app token of the user's tenant; every `@odata.nextLink` is
followed (on the same Graph host only). Each request goes through public_url's address rules
(no redirects, one deadline, a capped body). Anything but Graph's shape is `GraphUnavailable`:
the caller decides whether the sign-in goes on without the groups.
"""
from __future__ import annotations

import json
import re
from urllib.parse import quote

from shared.platform import public_url
from shared.platform.settings import get_settings

PAGE_SIZE = 999  # Graph's largest page for memberships (its default is 100): 5,000 groups in 6 requests
# A profile travels in one stored login row (tables.py: up to 480,000 characters of JSON; a group
# id takes 39): past this many groups it could not be stored, so the groups are reported
# unavailable rather than failing every sign-in.
MAX_GROUPS = 10_000
MAX_PAGES = MAX_GROUPS // PAGE_SIZE + 1
PAGE_BYTES = 2 * 1024 * 1024
TIMEOUT_SECONDS = 5
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class GraphUnavailable(Exception):
    """Graph could not answer the groups: `reason` says how, for the event."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class GraphRefused(GraphUnavailable):
    """Graph refused the token (401/403): another token may do (group_overage's app token)."""


# Delegated permissions that let a signed-in user's token list that user's own memberships
# (Graph's reference for /me/transitiveMemberOf: User.Read, or any higher one).
OWN_MEMBERSHIP_SCOPES = frozenset({"User.Read", "User.Read.All", "Directory.Read.All", "Directory.ReadWrite.All",
                                   "Group.Read.All", "GroupMember.Read.All"})


def reads_own_groups(granted_scope: str | None) -> bool:
    """Whether a delegated token granted `granted_scope` (the token response's `scope`) may list
    the user's groups; unknown (None) counts as may, and Graph's answer decides."""
    if granted_scope is None:
        return True
    return any(s.rpartition("/")[2] in OWN_MEMBERSHIP_SCOPES for s in granted_scope.split())


def first_page_url(oid: str | None) -> str:
    who = "me" if oid is None else f"users/{quote(oid, safe='')}"
    return f"{get_settings().graph_host}/v1.0/{who}/transitiveMemberOf/microsoft.graph.group?$select=id&$top={PAGE_SIZE}"


def _page(url: str, token: str) -> tuple[list[str], str | None]:
    settings = get_settings()
    try:
        answer = public_url.call("GET", url, allow_loopback=settings.allow_loopback_metadata, ca_bundle=settings.ca_bundle,
                                 headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                                 timeout=TIMEOUT_SECONDS, max_bytes=PAGE_BYTES)
    except (public_url.Refused, public_url.Failed) as err:
        raise GraphUnavailable(f"Graph could not be called: {err.reason}") from None
    if answer.status in (401, 403):
        raise GraphRefused(f"Graph refused the token (HTTP {answer.status})")
    if answer.status != 200:
        raise GraphUnavailable(f"Graph answered HTTP {answer.status}")
    try:
        body = json.loads(answer.body)
    except (ValueError, RecursionError):
        raise GraphUnavailable("Graph's answer is not JSON") from None
    values = body.get("value") if isinstance(body, dict) else None
    if not isinstance(values, list) or not all(isinstance(v, dict) and isinstance(v.get("id"), str) and _GUID.fullmatch(v["id"]) for v in values):
        raise GraphUnavailable("Graph's answer has no list of group ids")
    next_link = body.get("@odata.nextLink")
    if next_link is not None and (not isinstance(next_link, str) or not next_link.startswith(settings.graph_host + "/v1.0/")):
        raise GraphUnavailable("Graph's next page is not on the Graph host")
    return [v["id"].lower() for v in values], next_link


def member_groups(token: str, oid: str | None = None) -> list[str]:
    """Every group id of the user (`oid` None: the token's own user), in Graph's order."""
    url, groups = first_page_url(oid), []
    for _ in range(MAX_PAGES):
        page, url = _page(url, token)
        groups.extend(page)
        if len(groups) > MAX_GROUPS:
            break
        if url is None:
            return list(dict.fromkeys(groups))
    raise GraphUnavailable(f"the user is in more than {MAX_GROUPS} groups, more than a profile carries; "
                           "emit only the groups assigned to the application (Token configuration in Entra)")
