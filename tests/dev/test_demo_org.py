"""The demo org scripts/dev seeds, signed into through the sample app as a browser would (without
one: the browser test does it in Chromium): contoso.com is verified, so `email_verified` is true
exactly for the Contoso users whose email Entra vouches for."""
from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import urljoin

import pytest

from tests.dev.conftest import Http


def _form(page: str) -> tuple[str, dict]:
    action = unescape(re.search(r'<form[^>]*action="([^"]*)"', page).group(1))
    fields = {unescape(n): unescape(v) for n, v in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page)}
    return action, fields


def sign_in(dev, protocol: str, username: str) -> dict:
    browser = Http()
    home = browser.get(dev.info["app_url"])
    url = unescape(re.search(rf'id="sign-in-{protocol}" href="([^"]*)"', home.text).group(1))
    for _ in range(6):  # start -> the simulator's picker -> (SAML: the auto-post to the ACS) -> the app
        answer = browser.get(url)
        if answer.status_code == 200 and "Pick an account" in answer.text:
            action, fields = _form(answer.text)
            answer = browser.post(urljoin(url, action), data={**fields, "username": username})
            if answer.status_code == 200 and "SAMLResponse" in answer.text:
                action, fields = _form(answer.text)
                answer = browser.post(action, data=fields)
        if answer.status_code != 302:
            break
        url = urljoin(url, answer.headers["Location"])
    page = re.search(r"<pre id=profile>(.*?)</pre>", answer.text, re.S)
    assert answer.status_code == 200 and page, answer.text[:1000]
    return json.loads(unescape(page.group(1)))


@pytest.mark.parametrize("protocol", ["oidc", "saml"])
def test_a_vouched_contoso_email_is_verified(dev, protocol):
    profile = sign_in(dev, protocol, "adele.vance@contoso.com")
    assert profile["email"] == "adele.vance@contoso.com" and profile["email_verified"] is True


def test_a_user_without_an_email_has_none_verified(dev):
    profile = sign_in(dev, "oidc", "bob.kelly@contoso.com")
    assert profile["email_verified"] is False
