"""The SCIM service of one directory: each operation takes what the request carried (query
parameters, the parsed JSON body, If-Match) and answers (status, body, ETag, events written)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.directory import directories, groups, users
from shared.directory.records import Directory, DirectoryEvent
from shared.directory.scim import discovery, filters, resources
from shared.directory.scim.errors import ScimError, invalid_value
from shared.directory.scim.patch import member_ids

KINDS = {"Users": "User", "Groups": "Group"}


@dataclass
class Answer:
    status: int
    body: dict | None
    etag: str | None = None
    location: str | None = None
    events: list[DirectoryEvent] = field(default_factory=list)


def _base(directory: Directory) -> str:
    return directories.scim_base_url(directory.id)


def _int_param(params: dict, name: str, default: int, low: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ScimError(400, f"`{name}` must be a whole number.", "invalidValue") from None
    return max(low, value)


def _user_body(directory: Directory, stored, params=None) -> dict:
    user = stored.doc
    return resources.answer("User", user.scim, user.id, stored.etag, f"{_base(directory)}/Users/{user.id}", user.created, user.updated, params=params)


def _group_body(directory: Directory, stored, params=None, with_members: bool = True, known_members=None) -> dict:
    """`known_members`: the group's (id, display) pairs when the caller has them (it just wrote
    them), else they are read."""
    group = stored.doc
    members = None
    if with_members and not _excludes_members(params):
        pairs = known_members if known_members is not None else groups.members(directory.id, group.id)
        members = [{"value": user_id, "type": "User", "$ref": f"{_base(directory)}/Users/{user_id}", **({"display": display} if display else {})}
                   for user_id, display in pairs]
    return resources.answer("Group", group.scim, group.id, stored.etag, f"{_base(directory)}/Groups/{group.id}", group.created, group.updated,
                            members=members, params=params)


def _excludes_members(params) -> bool:
    """excludedAttributes=members (Entra's group lookups), or attributes naming other things only:
    then the member rows are not even read."""
    if params is None:
        return False
    if params.excluded_attributes and any(str(a).lower().endswith("members") for a in params.excluded_attributes):
        return True
    return bool(params.attributes) and not any("members" in str(a).lower() for a in params.attributes)


def _body(directory: Directory, kind: str, stored, params=None, known_members=None) -> dict:
    return _user_body(directory, stored, params) if kind == "User" else _group_body(directory, stored, params, known_members=known_members)


NOT_READ = object()  # no index row was read ahead


def index_row_of(endpoint: str, params: dict) -> str | None:
    """The unique index row a filter needs (userName or externalId eq), to read with the
    directory; None for anything else (an unparsable filter is refused later, as usual)."""
    text = params.get("filter")
    if endpoint != "Users" or not text:
        return None
    try:
        lookup = filters.parse(text, "User")
    except ScimError:
        return None
    return users.index_key(lookup)


def list_resources(directory: Directory, endpoint: str, params: dict, index_row=NOT_READ) -> Answer:
    kind = KINDS[endpoint]
    response_params = resources.response_parameters(kind, params.get("attributes"), params.get("excludedAttributes"))
    start = _int_param(params, "startIndex", 1, 1)
    count = min(_int_param(params, "count", discovery.MAX_RESULTS, 0), discovery.MAX_RESULTS)
    store = users if kind == "User" else groups
    text = params.get("filter")
    if text and index_row is not NOT_READ:
        found = users.from_index_row(directory.id, index_row)
    elif text:
        found = store.find(directory.id, filters.parse(text, kind))
    else:
        found = store.page(directory.id)
    chosen = found[start - 1:start - 1 + count]
    return Answer(200, discovery.list_response([_body(directory, kind, s, response_params) for s in chosen], len(found), start))


def get_resource(directory: Directory, endpoint: str, resource_id: str, params: dict) -> Answer:
    kind = KINDS[endpoint]
    response_params = resources.response_parameters(kind, params.get("attributes"), params.get("excludedAttributes"))
    stored = (users if kind == "User" else groups).require(directory.id, resource_id)
    return Answer(200, _body(directory, kind, stored, response_params), stored.etag)


def _members_of(scim_payload: dict) -> dict[str, str | None]:
    members = scim_payload.get("members") or []
    if not isinstance(members, list):
        raise invalid_value("`members` must be a list of {\"value\": id}.")
    return member_ids(members) if members else {}


def create(directory: Directory, endpoint: str, payload: Any) -> Answer:
    kind = KINDS[endpoint]
    scim = resources.stored_json(resources.parse(kind, payload))
    known = None
    if kind == "User":
        stored, events = users.create(directory, scim)
    else:
        stored, events, known = groups.create(directory, scim, _members_of(payload))
    body = _body(directory, kind, stored, known_members=known)
    return Answer(201, body, stored.etag, body["meta"]["location"], events)


def replace(directory: Directory, endpoint: str, resource_id: str, payload: Any, if_match: str | None) -> Answer:
    kind = KINDS[endpoint]
    scim = resources.stored_json(resources.parse(kind, payload))
    known = None
    if kind == "User":
        stored, events = users.update(directory, resource_id, lambda _old: scim, if_match)
    else:
        stored, events, known = groups.update(directory, resource_id, None, if_match, replace_with=(scim, _members_of(payload)))
    return Answer(200, _body(directory, kind, stored, known_members=known), stored.etag, events=events)


def patch(directory: Directory, endpoint: str, resource_id: str, payload: Any, if_match: str | None, params: dict) -> Answer:
    kind = KINDS[endpoint]
    known = None
    if kind == "User":
        stored, events = users.patch(directory, resource_id, payload, if_match)
    else:
        stored, events, known = groups.update(directory, resource_id, payload, if_match)
        if not params.get("attributes") and not params.get("excludedAttributes"):
            # RFC 7644 section 3.5.2 allows 204, as Entra's own SCIM reference answers a group PATCH:
            # a large group is not read whole to answer a change of a few members.
            return Answer(204, None, stored.etag, events=events)
    response_params = resources.response_parameters(kind, params.get("attributes"), params.get("excludedAttributes"))
    return Answer(200, _body(directory, kind, stored, response_params, known_members=known), stored.etag, events=events)


def delete(directory: Directory, endpoint: str, resource_id: str, if_match: str | None) -> Answer:
    events = (users if KINDS[endpoint] == "User" else groups).delete(directory, resource_id, if_match)
    return Answer(204, None, events=events)


def discovery_answer(directory: Directory, what: str, item: str | None) -> Answer:
    base = _base(directory)
    if what == "ServiceProviderConfig":
        return Answer(200, discovery.service_provider_config(base))
    found = discovery.schemas(base) if what == "Schemas" else discovery.resource_types(base)
    if item is None:
        return Answer(200, discovery.list_response(found, len(found), 1))
    for entry in found:
        if entry["id"] == item:
            return Answer(200, entry)
    raise ScimError(404, f"No {what[:-1]} {item[:100]!r}.")


def unknown_endpoint(method: str, resource: str) -> None:
    if resource == ".search" and method == "POST":
        raise ScimError(501, "Searching several resource types at once (POST /.search) is not supported; use GET /Users or /Groups with a filter.")
    raise ScimError(404, f"No SCIM endpoint {resource[:100]!r}: use /Users, /Groups, /ServiceProviderConfig, /Schemas or /ResourceTypes.")
