"""A SaaS backend's sign-in through the client: the URL it builds starts a real sign-in (dev host,
Entra simulator), and the code it gets back exchanges for a typed Profile, once."""
from __future__ import annotations

import secrets
from dataclasses import fields
from urllib.parse import parse_qs, urlsplit

import pytest
from entra_sso_client import BadRequestError, Profile, sign_in_url

from tests.flows.helpers import ADELE, APP_REDIRECT, entra_sign_in, query


def _code(browser, url: str) -> str:
    started = browser.get(url)
    assert started.status_code == 302, started.text[:300]
    from_entra = entra_sign_in(browser, started.headers["Location"], ADELE)
    callback = browser.get(from_entra.headers["Location"])
    assert callback.status_code == 302 and callback.headers["Location"].startswith(APP_REDIRECT), callback.text[:300]
    return query(callback.headers["Location"])["code"]


def test_a_sign_in_started_by_the_clients_url_exchanges_for_a_typed_profile(stack, browser, oidc, client_for):
    backend = client_for(oidc["backend"].headers["Authorization"].split(" ", 1)[1])
    state = "st-" + secrets.token_hex(6)
    url = backend.sign_in_url(organization=oidc["org"], redirect_uri=APP_REDIRECT, state=state, login_hint=ADELE, prompt="login")
    assert parse_qs(urlsplit(url).query) == {"organization": [oidc["org"]], "redirect_uri": [APP_REDIRECT], "state": [state],
                                             "login_hint": [ADELE], "prompt": ["login"]}
    code = _code(browser, url)
    profile = backend.exchange_code(code)
    assert isinstance(profile, Profile)
    assert profile.email == ADELE and profile.organization == oidc["org"] and profile.connection == oidc["connection"]["id"]
    assert profile.protocol == "oidc" and profile.entra_tenant_id == oidc["app"]["tenant"] and isinstance(profile.groups, list)
    contract = {"id", "organization", "connection", "protocol", "idp_id", "entra_tenant_id", "email", "email_verified", "name",
                "first_name", "last_name", "groups", "groups_overage", "raw_attributes"}
    assert contract <= {f.name for f in fields(Profile)} and contract <= set(profile.raw)
    assert all(getattr(profile, name) == profile.raw[name] for name in contract)

    with pytest.raises(BadRequestError) as again:
        backend.exchange_code(code)
    assert (again.value.code, again.value.status) == ("invalid_grant", 400) and again.value.correlation_id


def test_the_url_by_connection_and_by_email(stack, browser, oidc):
    by_connection = sign_in_url(stack.base_url, connection=oidc["connection"]["id"], redirect_uri=APP_REDIRECT, state="s")
    assert browser.get(by_connection).status_code == 302
    assert "email=ada%40contoso.com" in sign_in_url(stack.base_url + "/", email="ada@contoso.com", redirect_uri=APP_REDIRECT, state="s")
    for wrong in ({}, {"connection": "c", "organization": "o"}):
        with pytest.raises(ValueError):
            sign_in_url(stack.base_url, redirect_uri=APP_REDIRECT, state="s", **wrong)
    with pytest.raises(ValueError):
        sign_in_url(stack.base_url, organization="o", redirect_uri=APP_REDIRECT, state="s" * 513)
    with pytest.raises(ValueError):
        sign_in_url(stack.base_url, organization="o", redirect_uri=APP_REDIRECT, state="s", prompt="always")
