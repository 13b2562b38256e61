"""Portal links and sessions: who may hand them out, single use, expiry, the cookie, and that
a session reaches only the org and the task of its link."""
from __future__ import annotations

from datetime import timedelta

import pytest

from shared.platform.timestamps import iso, utc_now
from tests.concurrency.racing import one_winner, race
from tests.conftest import ApiClient
from tests.portal.helpers import RETURN_URL, PortalClient, new_link, portal_session, token_of


def test_a_link_opens_a_session_cookie_scoped_to_the_portal(stack, admin, new_org):
    org = new_org()
    answer = new_link(admin, org, "sso", return_url=RETURN_URL)
    assert answer["link"].startswith(f"{stack.base_url}/portal/open/{org}.")
    client = PortalClient(stack)
    landing = client.get(answer["link"])
    assert landing.status_code == 200 and "Start the setup" in landing.text
    opened = client.open(answer["link"])
    assert opened.headers["Location"] == "/portal/sso"
    cookie = opened.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/portal" in cookie and "Max-Age=3600" in cookie
    assert "Secure" not in cookie  # plain http on loopback only
    page = client.get("/portal/sso")
    assert page.status_code == 200 and f"Org {org}" in page.text and 'href="https://app.example.com/callback"' in page.text
    events = admin.get(f"/api/organizations/{org}/events").json()["items"]
    started = next(e for e in events if e["type"] == "portal.session_started")
    assert started["detail"]["actor"] == "portal" and started["detail"]["intent"] == "sso"


def test_org_key_may_hand_out_links_for_its_org_only(stack, admin, new_org):
    org, other = new_org(), new_org()
    key = admin.post("/api/api-keys", json={"organization": org, "name": "saas"}).json()["key"]
    saas = ApiClient(stack.base_url, key)
    assert saas.post(f"/api/organizations/{org}/portal-links", json={"intent": "sso"}).status_code == 201
    assert saas.post(f"/api/organizations/{other}/portal-links", json={"intent": "sso"}).status_code == 404
    assert ApiClient(stack.base_url, None).post(f"/api/organizations/{org}/portal-links", json={"intent": "sso"}).status_code == 401


@pytest.mark.parametrize("body, code", [
    ({"intent": "sso", "return_url": "https://evil.example.net/"}, "invalid_field"),
    ({"intent": "everything"}, "invalid_field"),
    ({"intent": "sso", "org": "x"}, "unknown_field"),
    ({}, "invalid_field"),
])
def test_bad_link_requests_are_refused(admin, new_org, body, code):
    response = admin.post(f"/api/organizations/{new_org()}/portal-links", json=body)
    assert response.status_code == 400 and response.json()["error"] == code


def test_a_link_opens_once_of_twenty_simultaneous_openings(stack, admin, new_org):
    link = new_link(admin, new_org())["link"]
    responses = race(stack, lambda i, s: s.post(link, headers={"Origin": stack.base_url}))
    one_winner(responses, lambda r: r.status_code == 303)
    assert all("portal_link_used" in r.text for r in responses if r.status_code != 303)


def test_a_used_link_gets_a_page_with_only_the_reason_and_correlation_id(stack, admin, new_org):
    link = new_link(admin, new_org())["link"]
    PortalClient(stack).open(link)
    again = PortalClient(stack).post(link, headers={"Origin": stack.base_url})
    assert again.status_code == 400 and "portal_link_used" in again.text
    assert again.headers["X-Correlation-Id"] in again.text
    assert "Set-Cookie" not in again.headers and "<nav" not in again.text and "<form" not in again.text


def _age_link(stack, link: str, minutes: int) -> None:
    """Moves the stored link's expiry into the past, as 5 minutes passing would."""
    import hashlib

    from shared.storage import tables
    org, random_part = token_of(link).split(".")
    row = "portal_link_" + hashlib.sha256(random_part.encode()).hexdigest()
    stored = tables.get("activity", org, row)
    past = utc_now() - timedelta(minutes=minutes)
    tables.replace("activity", org, row, {**stored.doc, "expires_at": iso(past)}, stored.etag, {"expires_at": past})


def test_an_expired_link_does_not_open(stack, admin, new_org):
    link = new_link(admin, new_org())["link"]
    _age_link(stack, link, 1)
    response = PortalClient(stack).post(link, headers={"Origin": stack.base_url})
    assert response.status_code == 400 and "portal_link_expired" in response.text and "Set-Cookie" not in response.headers


def test_a_link_expires_five_minutes_after_it_was_made(admin, new_org):
    from shared.platform.timestamps import parse_iso
    answer = new_link(admin, new_org())
    left = parse_iso(answer["expires_at"]) - utc_now()
    assert timedelta(minutes=4) < left <= timedelta(minutes=5)


@pytest.mark.parametrize("cookie", ["", "nonsense", "{org}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "{org}.{random}x", "other-org.{random}"])
def test_a_tampered_or_missing_cookie_gets_the_refusal_page(stack, admin, new_org, cookie):
    org = new_org()
    client = portal_session(stack, admin, org)
    random_part = client.cookies.get("portal_session").split(".")[1]
    stranger = PortalClient(stack)
    stranger.headers["Cookie"] = "portal_session=" + cookie.format(org=org, random=random_part)
    response = stranger.get("/portal/sso")
    assert response.status_code == 401 and "portal_session_invalid" in response.text and f"Org {org}" not in response.text


def test_an_expired_session_is_refused(stack, admin, new_org):
    import hashlib

    from shared.storage import tables
    org = new_org()
    client = portal_session(stack, admin, org)
    random_part = client.cookies.get("portal_session").split(".")[1]
    row = "portal_session_" + hashlib.sha256(random_part.encode()).hexdigest()
    stored = tables.get("activity", org, row)
    tables.replace("activity", org, row, {**stored.doc, "expires_at": iso(utc_now() - timedelta(seconds=1))}, stored.etag)
    assert client.get("/portal/sso").status_code == 401


def test_a_session_opens_only_its_intents_pages(stack, admin, new_org):
    client = portal_session(stack, admin, new_org(), "domain_verification")
    response = client.get("/portal/sso")
    assert response.status_code == 403 and "portal_wrong_intent" in response.text
    assert client.get("/portal/sso/oidc").status_code == 403


def test_security_headers_on_every_portal_page(stack, admin, new_org):
    client = portal_session(stack, admin, new_org())
    for path in ("/portal/sso", "/portal/sso/oidc"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff" and response.headers["Referrer-Policy"] == "no-referrer"
        assert "<script>" not in response.text and "style=" not in response.text and "<style" not in response.text


def test_static_files_are_served_and_nothing_else(stack, anonymous):
    assert anonymous.get("/portal/static/portal.css").headers["Content-Type"].startswith("text/css")
    assert anonymous.get("/portal/static/portal.js").headers["Content-Type"].startswith("text/javascript")
    for name in ("..%2F__init__.py", "pages.py", "missing.css", "%2e%2e%2fsessions.py"):
        assert anonymous.get(f"/portal/static/{name}").status_code == 404


def test_purge_removes_expired_links_and_sessions_and_keeps_live_ones(stack, admin, new_org):
    import hashlib

    from shared.lifecycle import purge
    from shared.storage import tables
    org = new_org()
    live = portal_session(stack, admin, org)
    stale_link = new_link(admin, org)["link"]
    _age_link(stack, stale_link, 60)
    random_part = token_of(stale_link).split(".")[1]
    purge.run()
    assert tables.get("activity", org, "portal_link_" + hashlib.sha256(random_part.encode()).hexdigest()) is None
    assert live.get("/portal/sso").status_code == 200


def test_the_demo_prints_a_link_that_opens(stack, new_org):
    from local.demo import portal_link
    org = new_org()
    client = PortalClient(stack)
    client.open(portal_link(stack.base_url, stack.bootstrap_key, org))
    assert client.get("/portal/sso").status_code == 200
