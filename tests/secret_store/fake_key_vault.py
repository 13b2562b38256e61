"""Key Vault's secrets REST API in memory, plugged into the SDK as its HTTP transport.

It answers with the service's shapes (REST API 7.x reference and the SDK's recordings), so the
real SecretClient pipeline runs end to end: the challenge-auth 401 on the first, bodiless and
unauthenticated request; bearer tokens; retries; paging through `nextLink`; 404 `SecretNotFound`.
Like the service it validates names (`[0-9a-zA-Z-]{1,127}`), compares them case-insensitively
and lists versions in no particular order.
"""
from __future__ import annotations

import base64
import itertools
import json
import re
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest._http_response_impl import HttpResponseImpl
from azure.core.utils import case_insensitive_dict
from azure.identity import CredentialUnavailableError

TENANT_ID = "8f4b6c2e-1d3a-4e5f-9a7b-0c1d2e3f4a5b"
RESOURCE = "https://vault.azure.net"
CHALLENGE = f'Bearer authorization="https://login.microsoftonline.com/{TENANT_ID}", resource="{RESOURCE}"'
_NAME = re.compile(r"[0-9a-zA-Z-]{1,127}")
_FAILURES = {
    403: ("Forbidden", "Caller is not authorized to perform action on resource.", {"code": "ForbiddenByRbac"}),
    429: ("Throttled", "Operations per second threshold exceeded.", None),
    500: ("InternalServerError", "An unexpected error occurred.", None),
    503: ("ServiceUnavailable", "The service is unavailable.", None),
}


def new_vault_url() -> str:
    # The SDK caches challenges per host for the whole process; a fresh host per test keeps the
    # first request of every test unauthenticated, as it is against a real vault.
    return f"https://kv-{uuid.uuid4().hex[:12]}.vault.azure.net"


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None
    body: Any


class FakeKeyVault(HttpTransport):
    def __init__(self, vault_url: str, *, token: str = "fake-access-token", page_size: int = 25):
        self.vault_url = vault_url
        self.token = token
        self.page_size = page_size
        self.requests: list[Seen] = []
        self.sleeps: list[float] = []
        self.fail_with: int | None = None  # answer every authorized request with this status
        self.raise_on_send: BaseException | None = None
        self._secrets: dict[str, dict[str, Any]] = {}  # lower-cased name -> {"name", "versions"}
        self._clock = itertools.count(1_767_225_600)  # each version is created one second later

    # HttpTransport
    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __exit__(self, *args: Any) -> None:
        pass

    def sleep(self, duration: float) -> None:  # the retry policy's backoff: recorded, not slept
        self.sleeps.append(duration)

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        body = json.loads(request.content) if request.content else None
        self.requests.append(Seen(request.method, unquote(url.path), parse_qs(url.query), request.headers.get("Authorization"), body))
        if self.raise_on_send is not None:
            raise self.raise_on_send
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _response(request, 401, _error("Unauthorized", "AKV10000: Request is missing a Bearer or PoP token."), {"WWW-Authenticate": CHALLENGE})
        if "api-version" not in parse_qs(url.query):
            return _response(request, 400, _error("BadParameter", "The api-version query parameter is missing."))
        if self.fail_with is not None:
            code, message, inner = _FAILURES[self.fail_with]
            return _response(request, self.fail_with, _error(code, message, inner), {"Retry-After": "1"} if self.fail_with == 429 else {})
        status, payload = self._route(request.method, unquote(url.path).strip("/").split("/"), parse_qs(url.query), body)
        return _response(request, status, payload)

    # The secrets API
    def _route(self, method: str, parts: list[str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        if parts[0] != "secrets" or len(parts) not in (2, 3):
            return 404, _error("NotFound", "The requested resource was not found.")
        name = parts[1]
        if not _NAME.fullmatch(name):
            return 400, _error("BadParameter", f"The request URI contains an invalid name: {name}")
        if method == "PUT" and len(parts) == 2:
            return self._set(name, body)
        if method == "DELETE" and len(parts) == 2:
            return self._delete(name)
        if method == "GET" and parts[2:] == ["versions"]:
            return self._list_versions(name, query)
        if method == "GET":
            return self._get(name, parts[2] if len(parts) == 3 else "")
        return 405, _error("MethodNotAllowed", f"{method} is not allowed here.")

    def _set(self, name: str, body: dict[str, Any]) -> tuple[int, Any]:
        secret = self._secrets.setdefault(name.lower(), {"name": name, "versions": []})
        created = next(self._clock)
        attributes = {"enabled": True, "created": created, "updated": created, "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90}
        if "exp" in (body.get("attributes") or {}):
            attributes["exp"] = body["attributes"]["exp"]
        bundle = {"value": body["value"], "id": f"{self.vault_url}/secrets/{secret['name']}/{uuid.uuid4().hex}", "attributes": attributes}
        if body.get("tags"):
            bundle["tags"] = body["tags"]
        secret["versions"].append(bundle)
        return 200, bundle

    def _get(self, name: str, version: str) -> tuple[int, Any]:
        versions = self._secrets.get(name.lower(), {"versions": []})["versions"]
        found = [b for b in versions if b["id"].rsplit("/", 1)[1] == version] if version else versions[-1:]
        if not found:
            return 404, _error("SecretNotFound", f"A secret with (name/id) {name + ('/' + version if version else '')} was not found in this key vault.")
        return 200, found[0]

    def _list_versions(self, name: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        # Like the service: an unknown name is an empty list, not a 404; no order is promised.
        items = sorted(self._secrets.get(name.lower(), {"versions": []})["versions"], key=lambda b: b["id"])
        size = min(int(query.get("maxresults", [self.page_size])[0]), self.page_size)
        start = int(base64.b64decode(query["$skiptoken"][0])) if "$skiptoken" in query else 0
        page = [{k: v for k, v in b.items() if k != "value"} for b in items[start : start + size]]
        next_link = None
        if start + size < len(items):
            token = base64.b64encode(str(start + size).encode()).decode()
            next_link = f"{self.vault_url}:443/secrets/{name}/versions?api-version=7.5&$skiptoken={token}&maxresults={size}"
        return 200, {"value": page, "nextLink": next_link}

    def _delete(self, name: str) -> tuple[int, Any]:
        secret = self._secrets.pop(name.lower(), None)
        if secret is None:
            return 404, _error("SecretNotFound", f"A secret with (name/id) {name} was not found in this key vault.")
        latest = {k: v for k, v in secret["versions"][-1].items() if k != "value"}
        deleted_at = next(self._clock)
        return 200, {
            "recoveryId": f"{self.vault_url}/deletedsecrets/{secret['name']}",
            "deletedDate": deleted_at,
            "scheduledPurgeDate": deleted_at + 90 * 86400,
            **latest,
        }


class FakeCredential:
    """A TokenCredential (and SupportsTokenInfo) that hands out one token, or fails as
    DefaultAzureCredential does when no identity is available."""

    def __init__(self, token: str = "fake-access-token", *, unavailable: bool = False):
        self.token = token
        self.unavailable = unavailable
        self.requests: list[tuple[tuple[str, ...], str | None]] = []  # (scopes, tenant_id)

    def get_token(self, *scopes: str, tenant_id: str | None = None, **kwargs: Any) -> AccessToken:
        info = self.get_token_info(*scopes, options={"tenant_id": tenant_id} if tenant_id else None)
        return AccessToken(info.token, info.expires_on)

    def get_token_info(self, *scopes: str, options: dict | None = None) -> AccessTokenInfo:
        self.requests.append((scopes, (options or {}).get("tenant_id")))
        if self.unavailable:
            raise CredentialUnavailableError("DefaultAzureCredential failed to retrieve a token from the included credentials.")
        return AccessTokenInfo(self.token, 4_102_444_800)  # 2100-01-01: never refreshed during a test


def _error(code: str, message: str, inner: dict | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if inner:
        error["innererror"] = inner
    return {"error": error}


class _Response(HttpResponseImpl):
    def __init__(self, request, status: int, content: bytes, headers: dict[str, str]):
        super().__init__(
            request=request,
            internal_response=None,
            status_code=status,
            reason=HTTPStatus(status).phrase,
            headers=headers,
            content_type=headers["Content-Type"],
            block_size=4096,
            stream_download_generator=None,
        )
        self._content = content
        self._is_closed = True  # fully read already; nothing to close


def _response(request, status: int, payload: Any, extra_headers: dict[str, str] | None = None) -> _Response:
    headers = case_insensitive_dict(
        {"Content-Type": "application/json; charset=utf-8", "x-ms-keyvault-service-version": "1.9.1195.1", "x-ms-request-id": str(uuid.uuid4()), **(extra_headers or {})}
    )
    return _Response(request, status, json.dumps(payload).encode(), headers)
