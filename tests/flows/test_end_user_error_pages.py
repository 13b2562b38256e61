"""The error page a browser sees speaks to the person signing in: what happened, what to do, the
way back to the app when known, the correlation id; never the admin's instructions (routes,
field names) nor raw Markdown, which stay in the JSON answer and the org's events."""
from __future__ import annotations

import html
import re

import pytest

from shared.platform.errors import CATALOGUE, SsoError

ADMIN_WORDS = ("PATCH", "POST", "/api/", "redirect_uris", "default_connection", "allowed_sign_in_methods", "`")


def _visible(page: str) -> str:
    return re.sub(r"<style>.*?</style>", "", page, flags=re.S)


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_codes_page_speaks_to_the_user(code):
    from shared.platform.observability import new_correlation_id
    from shared.web.http import error_page
    from shared.web.user_messages import user_message

    reference = new_correlation_id()
    page = _visible(error_page(SsoError(code), "https://app.example.com/"))
    said = user_message(code)
    assert html.escape(said.title) in page and html.escape(said.advice) in page and code in page and reference in page
    assert '<a href="https://app.example.com/">' in page
    assert CATALOGUE[code].fix not in page
    assert not [word for word in ADMIN_WORDS if word in page], page


def _start(anonymous, **params):
    return anonymous.get("/auth/sso/start", params={"state": "s", **params}, headers={"Accept": "text/html"})


def test_a_refused_start_shows_the_user_a_page_and_the_admin_the_json_and_event(admin, anonymous, oidc):
    org = oidc["org"]  # redirect_uris: https://app.example.com/callback
    page = _start(anonymous, organization=org, redirect_uri="https://evil.example/cb")
    assert page.status_code == 400 and page.headers["Content-Type"].startswith("text/html")
    reference = page.headers["X-Correlation-Id"]
    text = _visible(page.text)
    assert "Single sign-on is not set up correctly" in text and reference in text and "invalid_redirect_uri" in text
    assert '<a href="https://app.example.com/">Return to the application</a>' in text
    assert "evil.example" not in text and not [word for word in ADMIN_WORDS if word in text]

    as_json = anonymous.get("/auth/sso/start", params={"organization": org, "redirect_uri": "https://evil.example/cb", "state": "s"},
                            headers={"Accept": "application/json"})
    body = as_json.json()
    assert set(body) == {"error", "error_description", "correlation_id"} and body["error"] == "invalid_redirect_uri"
    assert f"PATCH /api/organizations/{org}" in body["error_description"]  # the admin's instruction, unchanged
    event = next(e for e in admin.get(f"/api/organizations/{org}/events").json()["items"] if e["detail"].get("correlation_id") == reference)
    assert event["error"] == "invalid_redirect_uri" and "PATCH" in event["detail"]["message"]


def test_no_link_back_before_the_app_is_known(anonymous, new_org):
    unknown = _start(anonymous, organization="no-such-org-here", redirect_uri="https://evil.example/cb")
    assert unknown.status_code == 404 and "Return to the application" not in unknown.text and "evil.example" not in unknown.text
    assert "This sign-in link does not work" in unknown.text

    two_apps = new_org(redirect_uris=["https://one.example.com/cb", "https://two.example.com/cb"])
    ambiguous = _start(anonymous, organization=two_apps, redirect_uri="https://evil.example/cb")
    assert "Return to the application" not in ambiguous.text
    named = _start(anonymous, organization=two_apps, redirect_uri="https://two.example.com/cb")  # allowed; no connection yet
    assert named.status_code == 400 and '<a href="https://two.example.com/">' in named.text
    assert "Single sign-on is not available for your organization" in named.text


def test_a_used_sign_in_response_tells_the_user_to_start_again(anonymous):
    page = anonymous.get("/auth/sso/microsoft/callback", params={"state": "x" * 43, "code": "c"}, headers={"Accept": "text/html"})
    assert page.status_code == 400 and "Go back to the application and sign in again." in page.text
    assert page.headers["X-Correlation-Id"] in page.text and "`" not in _visible(page.text)
