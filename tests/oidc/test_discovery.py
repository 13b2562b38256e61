"""Discovery: the tenant's document, cached for a day; Entra's unknown-tenant answer is
tenant_not_found, anything transient is authority_unreachable (fetch_json, real requests stack)."""
from __future__ import annotations

import pytest
import requests

from shared.oidc import fetch
from shared.oidc.discovery import DiscoveryCache, discovery_url
from shared.platform.errors import SsoError
from tests.oidc import fake_entra as fe


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


def code_of(call) -> str:
    with pytest.raises(SsoError) as raised:
        call()
    return raised.value.code


def test_the_document_of_the_tenant(entra):
    metadata = DiscoveryCache(fetch=entra.fetch).get(fe.TENANT.upper())
    assert metadata.issuer == fe.issuer()
    assert metadata.jwks_uri == entra.jwks_uri()
    assert entra.fetches == [f"{fe.HOST}/{fe.TENANT}/v2.0/.well-known/openid-configuration"]


def test_the_document_is_cached_for_a_day(entra):
    clock = Clock()
    cache = DiscoveryCache(fetch=entra.fetch, clock=clock)
    cache.get(fe.TENANT)
    clock.now += 24 * 3600 - 1
    cache.get(fe.TENANT)
    assert len(entra.fetches) == 1
    clock.now += 1
    cache.get(fe.TENANT)
    assert len(entra.fetches) == 2


def test_the_multi_tenant_document_keeps_its_template(entra):
    assert DiscoveryCache(fetch=entra.fetch).get("organizations").issuer == f"{fe.HOST}/{{tenantid}}/v2.0"


@pytest.mark.parametrize("status", [400, 404])
def test_an_unknown_tenant(entra, status):
    entra.unknown_tenant_status = status
    assert code_of(lambda: DiscoveryCache(fetch=entra.fetch).get("5a4cb4a6-83de-4b9e-a0f3-3f8a0d5e5a67")) == "tenant_not_found"


@pytest.mark.parametrize("tenant", ["contoso.com", "common", "../organizations", f"{fe.TENANT}?x=1", "", None])
def test_only_a_guid_or_organizations_reaches_a_url(entra, tenant):
    assert code_of(lambda: DiscoveryCache(fetch=entra.fetch).get(tenant)) == "tenant_not_found"
    assert entra.fetches == []


def test_a_document_naming_another_issuer_is_refused(entra):
    def fetch(url):
        status, body = entra.fetch(url)
        return status, {**body, "issuer": fe.issuer(fe.OTHER_TENANT)}
    assert code_of(lambda: DiscoveryCache(fetch=fetch).get(fe.TENANT)) == "authority_unreachable"


@pytest.mark.parametrize("body", [None, [], {"issuer": fe.issuer()}])
def test_a_document_without_the_fields_is_refused(body):
    assert code_of(lambda: DiscoveryCache(fetch=lambda url: (200, body)).get(fe.TENANT)) == "authority_unreachable"


def test_failures_are_not_cached(entra):
    answers = iter([(400, None)])
    cache = DiscoveryCache(fetch=lambda url: next(answers, None) or entra.fetch(url))
    assert code_of(lambda: cache.get(fe.TENANT)) == "tenant_not_found"
    assert cache.get(fe.TENANT).issuer == fe.issuer()


# fetch_json: what the network can do.

class Session:
    def __init__(self, outcome):
        self.outcome = outcome

    def get(self, url, **kwargs):
        if isinstance(self.outcome, Exception):
            raise self.outcome
        response = requests.Response()
        response.status_code, response._content = self.outcome
        return response


@pytest.mark.parametrize("outcome", [requests.ConnectTimeout(), requests.ConnectionError(), requests.exceptions.SSLError(),
                                     (500, b"{}"), (503, b"busy"), (429, b"{}")])
def test_transient_failures_are_authority_unreachable(monkeypatch, outcome):
    monkeypatch.setattr(fetch, "http_session", lambda: Session(outcome))
    assert code_of(lambda: DiscoveryCache().get(fe.TENANT)) == "authority_unreachable"


def test_entras_unknown_tenant_answer_through_fetch_json(monkeypatch):
    body = b'{"error":"invalid_tenant","error_description":"AADSTS90002: Tenant not found.","error_codes":[90002]}'
    monkeypatch.setattr(fetch, "http_session", lambda: Session((400, body)))
    assert code_of(lambda: DiscoveryCache().get(fe.TENANT)) == "tenant_not_found"


def test_the_url_is_entras_v2_discovery_path():
    assert discovery_url(fe.TENANT) == f"{fe.HOST}/{fe.TENANT}/v2.0/.well-known/openid-configuration"
