"""The discovery endpoints (RFC 7644 section 4): /ServiceProviderConfig, /Schemas, /ResourceTypes,
built from the same scim2-models the resources are validated with, so they announce exactly what
the service does: PATCH, filter (equality on indexed attributes, MAX_RESULTS per page), ETags;
no bulk, sort, change-password or cursor pagination."""
from __future__ import annotations

import functools

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Meta,
    Patch,
    ResourceType,
    ServiceProviderConfig,
    Sort,
    User,
)

from shared.directory.scim.resources import USER_MODEL

MAX_RESULTS = 100
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
_DOC = "https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups"


def _dump(resource) -> dict:
    return resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def service_provider_config(base_url: str) -> dict:
    config = ServiceProviderConfig(
        documentation_uri=_DOC,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[AuthenticationScheme(
            type="oauthbearertoken", name="Secret Token", description="The directory's Secret Token as 'Authorization: Bearer <token>'.",
            primary=True)],
        meta=Meta(resource_type="ServiceProviderConfig", location=f"{base_url}/ServiceProviderConfig"),
    )
    return _dump(config)


@functools.lru_cache(maxsize=None)
def _schemas() -> tuple:
    return (User.to_schema(), EnterpriseUser.to_schema(), Group.to_schema())


def schemas(base_url: str) -> list[dict]:
    answered = []
    for schema in _schemas():
        schema = schema.model_copy()
        schema.meta = Meta(resource_type="Schema", location=f"{base_url}/Schemas/{schema.id}")
        answered.append(_dump(schema))
    return answered


def resource_types(base_url: str) -> list[dict]:
    answered = []
    for model in (USER_MODEL, Group):
        resource_type = ResourceType.from_resource(model)
        resource_type.meta = Meta(resource_type="ResourceType", location=f"{base_url}/ResourceTypes/{resource_type.id}")
        answered.append(_dump(resource_type))
    return answered


def list_response(resources: list[dict], total: int, start_index: int) -> dict:
    return {"schemas": [LIST_SCHEMA], "totalResults": total, "startIndex": start_index, "itemsPerPage": len(resources), "Resources": resources}
