"""Driving the setup portal as a browser without JavaScript would: links, the session cookie,
forms with their CSRF token."""
from __future__ import annotations

import re
from html import unescape

from tests.conftest import ApiClient

RETURN_URL = "https://app.example.com/callback"  # the new_org fixture's redirect URI


def new_link(admin: ApiClient, org: str, intent: str = "sso", **body) -> dict:
    response = admin.post(f"/api/organizations/{org}/portal-links", json={"intent": intent, **body})
    assert response.status_code == 201, response.text
    return response.json()


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def csrf_token(page: str) -> str:
    return unescape(re.search(r'name="csrf_token" value="([^"]*)"', page).group(1))


class PortalClient(ApiClient):
    """A browser session on the portal: keeps the session cookie, sends same-origin headers."""

    def __init__(self, stack):
        super().__init__(stack.base_url, None)
        self.origin = stack.base_url

    def open(self, link: str):
        response = self.post(link, headers={"Origin": self.origin, "Sec-Fetch-Site": "same-origin"})
        assert response.status_code == 303, response.text
        return response

    def submit(self, path: str, fields: dict, page_path: str | None = None, **kwargs):
        page = self.get(page_path or path)
        assert page.status_code == 200, page.text
        headers = {"Origin": self.origin, "Sec-Fetch-Site": "same-origin", **kwargs.pop("headers", {})}
        return self.post(path, data={"csrf_token": csrf_token(page.text), **fields}, headers=headers, **kwargs)


def portal_session(stack, admin, org: str, intent: str = "sso", **body) -> PortalClient:
    client = PortalClient(stack)
    client.open(new_link(admin, org, intent, **body)["link"])
    return client
