"""The client for a SaaS backend: the code exchange and the admin API, with typed answers, typed
errors (errors.py) and lists that follow their cursors."""
from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping, TypeVar
from urllib.parse import quote

import requests

from . import signin
from .errors import EntraSsoError, UnavailableError, error_for
from .models import (
    ApiKey,
    Connection,
    ConnectionTest,
    CreatedApiKey,
    DiscoveryResult,
    Domain,
    Event,
    Invitation,
    Organization,
    PendingCertificate,
    Profile,
    SignInPolicy,
)

T = TypeVar("T")
Json = Mapping[str, Any]


def _seg(value: str) -> str:
    return quote(value, safe="")


class EntraSso:
    """`EntraSso("https://identity.eu.example.com", api_key)`; an org key acts on its org only, the
    global key on every org. Pass `session` to set proxies, CA bundles or retries yourself."""

    def __init__(self, base_url: str, api_key: str | None = None, *, session: requests.Session | None = None,
                 timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self._session = session or requests.Session()
        self._timeout = timeout

    # -- transport ---------------------------------------------------------------------------
    def _request(self, method: str, path: str, *, body: Json | None = None, params: Mapping[str, str] | None = None,
                 if_match: str | None = None) -> Any:
        headers = {"Accept": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        if if_match:
            headers["If-Match"] = if_match
        try:
            response = self._session.request(method, self.base_url + path, json=body, params=params, headers=headers,
                                             timeout=self._timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise UnavailableError("unreachable", f"{self.base_url} could not be reached: {type(exc).__name__}", 0) from None
        if response.status_code >= 300:
            raise self._error(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    @staticmethod
    def _error(response: requests.Response) -> EntraSsoError:
        correlation_id = response.headers.get("X-Correlation-Id")
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("error"), str):
            return error_for(data["error"], str(data.get("error_description", "")), response.status_code,
                             data.get("correlation_id") if isinstance(data.get("correlation_id"), str) else correlation_id)
        if 300 <= response.status_code < 400:
            return EntraSsoError("redirected", f"answered {response.status_code} to {response.headers.get('Location', '?')}: "
                                               "the organization lives on another region's stamp; use that base URL",
                                 response.status_code, correlation_id)
        return error_for("unexpected_response", f"HTTP {response.status_code}", response.status_code, correlation_id)

    def _pages(self, path: str, make: Callable[[Json], T], params: Mapping[str, str] | None = None,
               page_size: int | None = None) -> Iterator[T]:
        """Every item of a list, page after page, following `next` until it is null."""
        query = dict(params or {})
        if page_size is not None:
            query["limit"] = str(page_size)
        while True:
            page = self._request("GET", path, params=query)
            for item in page.get("items") or []:
                yield make(item)
            cursor = page.get("next")
            if not cursor:
                return
            query["cursor"] = cursor

    # -- sign-in -----------------------------------------------------------------------------
    def sign_in_url(self, *, redirect_uri: str, state: str, connection: str | None = None, organization: str | None = None,
                    email: str | None = None, login_hint: str | None = None, prompt: str | None = None) -> str:
        return signin.sign_in_url(self.base_url, redirect_uri=redirect_uri, state=state, connection=connection,
                                  organization=organization, email=email, login_hint=login_hint, prompt=prompt)

    def exchange_code(self, code: str) -> Profile:
        """The code from your redirect URI's `?code=`, once, within 60 s, with your org's key."""
        return Profile.from_json(self._request("POST", "/api/sso/token", body={"code": code})["profile"])

    def discover(self, email: str) -> DiscoveryResult:
        return DiscoveryResult.from_json(self._request("GET", "/auth/sso/discover", params={"email": email}))

    # -- organizations -----------------------------------------------------------------------
    def list_organizations(self, *, page_size: int | None = None) -> Iterator[Organization]:
        return self._pages("/api/organizations", Organization.from_json, page_size=page_size)

    def get_organization(self, org: str) -> Organization:
        return Organization.from_json(self._request("GET", f"/api/organizations/{_seg(org)}"))

    def create_organization(self, id: str, name: str, redirect_uris: list[str], **fields: Any) -> Organization:
        return Organization.from_json(self._request("POST", "/api/organizations",
                                                    body={"id": id, "name": name, "redirect_uris": redirect_uris, **fields}))

    def update_organization(self, org: str, *, if_match: str | None = None, **fields: Any) -> Organization:
        """A partial update; with `if_match` (an etag you read) a change since is a ConflictError."""
        return Organization.from_json(self._request("PATCH", f"/api/organizations/{_seg(org)}", body=fields, if_match=if_match))

    def delete_organization(self, org: str) -> None:
        self._request("DELETE", f"/api/organizations/{_seg(org)}")

    def list_events(self, org: str, *, page_size: int | None = None) -> Iterator[Event]:
        """Newest first."""
        return self._pages(f"/api/organizations/{_seg(org)}/events", Event.from_json, page_size=page_size)

    # -- connections and their credentials ---------------------------------------------------
    def _connection_path(self, org: str, connection: str) -> str:
        return f"/api/organizations/{_seg(org)}/connections/{_seg(connection)}"

    def list_connections(self, org: str) -> Iterator[Connection]:
        return self._pages(f"/api/organizations/{_seg(org)}/connections", Connection.from_json)

    def get_connection(self, org: str, connection: str) -> Connection:
        return Connection.from_json(self._request("GET", self._connection_path(org, connection)))

    def create_connection(self, org: str, protocol: str, **fields: Any) -> Connection:
        """OIDC: entra_tenant_id, client_id, client_secret, client_secret_expires_on. SAML:
        idp_metadata_url (or idp_metadata_xml, or none yet: the connection is pending)."""
        return Connection.from_json(self._request("POST", f"/api/organizations/{_seg(org)}/connections",
                                                  body={"protocol": protocol, **fields}))

    def update_connection(self, org: str, connection: str, *, if_match: str | None = None, **fields: Any) -> Connection:
        return Connection.from_json(self._request("PATCH", self._connection_path(org, connection), body=fields, if_match=if_match))

    def delete_connection(self, org: str, connection: str) -> None:
        self._request("DELETE", self._connection_path(org, connection))

    def test_connection(self, org: str, connection: str) -> ConnectionTest:
        return ConnectionTest.from_json(self._request("POST", self._connection_path(org, connection) + "/test"))

    def rotate_secret(self, org: str, connection: str, client_secret: str, expires_on: str) -> Connection:
        """`expires_on` YYYY-MM-DD; the secret is proven with Entra before it becomes current."""
        return Connection.from_json(self._request("POST", self._connection_path(org, connection) + "/secret",
                                                  body={"client_secret": client_secret, "expires_on": expires_on}))

    def rollback_secret(self, org: str, connection: str) -> Connection:
        return Connection.from_json(self._request("POST", self._connection_path(org, connection) + "/secret/rollback"))

    def create_certificate(self, org: str, connection: str) -> PendingCertificate:
        return PendingCertificate.from_json(self._request("POST", self._connection_path(org, connection) + "/certificate"))

    def activate_certificate(self, org: str, connection: str) -> Connection:
        return Connection.from_json(self._request("POST", self._connection_path(org, connection) + "/certificate/activate"))

    # -- domains -----------------------------------------------------------------------------
    def list_domains(self, org: str, *, page_size: int | None = None) -> Iterator[Domain]:
        return self._pages(f"/api/organizations/{_seg(org)}/domains", Domain.from_json, page_size=page_size)

    def claim_domain(self, org: str, domain: str) -> Domain:
        """Publish the answer's `txt_record`, then verify_domain."""
        return Domain.from_json(self._request("POST", f"/api/organizations/{_seg(org)}/domains", body={"domain": domain}))

    def get_domain(self, org: str, domain: str) -> Domain:
        return Domain.from_json(self._request("GET", f"/api/organizations/{_seg(org)}/domains/{_seg(domain)}"))

    def verify_domain(self, org: str, domain: str) -> Domain:
        return Domain.from_json(self._request("POST", f"/api/organizations/{_seg(org)}/domains/{_seg(domain)}/verify"))

    def delete_domain(self, org: str, domain: str) -> None:
        self._request("DELETE", f"/api/organizations/{_seg(org)}/domains/{_seg(domain)}")

    # -- sign-in policy and invitations ------------------------------------------------------
    def sign_in_policy(self, org: str, email: str) -> SignInPolicy:
        return SignInPolicy.from_json(self._request("GET", f"/api/organizations/{_seg(org)}/sign-in-policy", params={"email": email}))

    def list_invitations(self, org: str, *, page_size: int | None = None) -> Iterator[Invitation]:
        return self._pages(f"/api/organizations/{_seg(org)}/invitations", Invitation.from_json, page_size=page_size)

    def invite(self, org: str, email: str) -> Invitation:
        return Invitation.from_json(self._request("POST", f"/api/organizations/{_seg(org)}/invitations", body={"email": email}))

    def delete_invitation(self, org: str, invitation: str) -> None:
        self._request("DELETE", f"/api/organizations/{_seg(org)}/invitations/{_seg(invitation)}")

    # -- API keys ----------------------------------------------------------------------------
    def create_api_key(self, name: str, organization: str | None = None) -> CreatedApiKey:
        """Global key only. `organization` None makes a global key."""
        return CreatedApiKey.from_json(self._request("POST", "/api/api-keys", body={"organization": organization, "name": name}))

    def list_api_keys(self, org: str, *, page_size: int | None = None) -> Iterator[ApiKey]:
        return self._pages(f"/api/organizations/{_seg(org)}/api-keys", ApiKey.from_json, page_size=page_size)

    def revoke_api_key(self, key_id: str) -> None:
        """At once, on every instance."""
        self._request("DELETE", f"/api/api-keys/{_seg(key_id)}")
