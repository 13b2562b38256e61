"""A directory of a fresh organization, and a SCIM client holding its Secret Token."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.conftest import ApiClient

SCIM = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class ScimClient(ApiClient):
    """Sends JSON bodies as application/scim+json, as Entra does; `flag` adds ?aadOptscim062020."""

    def __init__(self, base_url: str, token: str, flag: bool = False):
        super().__init__(base_url, token)
        self.flag = flag

    def request(self, method, url, **kwargs):
        body = kwargs.pop("json", None)
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs.setdefault("headers", {}).setdefault("Content-Type", SCIM)
        if self.flag:
            url += ("&" if "?" in url else "?") + "aadOptscim062020"
        return super().request(method, url, **kwargs)


@dataclass
class Directory:
    org: str
    id: str
    token: str
    base: str  # the Tenant URL
    scim: ScimClient


@pytest.fixture
def new_directory(admin, new_org, stack):
    def create(flag: bool = False, **fields) -> Directory:
        org = fields.pop("org", None) or new_org()
        response = admin.post(f"/api/organizations/{org}/directories", json={"name": "Entra", **fields})
        assert response.status_code == 201, response.text
        body = response.json()
        return Directory(org, body["id"], body["token"], body["scim_base_url"], ScimClient(body["scim_base_url"], body["token"], flag))

    return create


@pytest.fixture(params=[False, True], ids=["entra-default", "aadOptscim062020"])
def directory(request, new_directory) -> Directory:
    """Every test that takes it runs in both of Entra's modes."""
    return new_directory(flag=request.param)


def user_body(user_name: str, **extra) -> dict:
    return {"schemas": [USER_SCHEMA, ENTERPRISE], "userName": user_name, "active": True,
            "emails": [{"type": "work", "value": user_name, "primary": True}], "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "displayName": "Ada Lovelace", **extra}


def patch_body(*ops) -> dict:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(ops)}
