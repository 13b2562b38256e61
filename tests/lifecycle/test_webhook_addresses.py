"""A notification webhook URL must not reach into the stamp's network: the address rules of
metadata URLs (shared/platform/public_url.py), at save and again at send, with redirects refused.

Host A (in process) runs as in development, where loopback is allowed; a second host runs with
SSO_ALLOW_LOOPBACK_METADATA off, as in Azure, for the loopback rules."""
from __future__ import annotations

import secrets
import socket
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import ApiClient
from tests.flows.helpers import create_oidc_connection, register_oidc_app
from tests.instances.hosts import start_other_host
from tests.lifecycle.helpers import events_of
from tests.lifecycle.receiver import start_receiver

# Refused everywhere, development included.
NON_PUBLIC = [
    "https://169.254.169.254/latest/meta-data/",  # the cloud metadata endpoint
    "https://10.0.0.1/hook", "https://172.16.0.1/hook", "https://172.31.255.254/hook", "https://192.168.1.1/hook",
    "https://100.64.0.1/hook", "https://0.0.0.0/hook", "https://[fe80::1]/hook", "https://[fd00::1]/hook",
    "https://[::ffff:169.254.169.254]/hook", "https://[::ffff:10.0.0.1]/hook",  # IPv4-mapped IPv6
    "https://[64:ff9b::a9fe:a9fe]/hook", "https://[2002:a00:1::]/hook",  # NAT64, 6to4
    "https://2852039166/hook", "https://0251.0376.0251.0376/hook", "https://0xa9fea9fe/hook", "https://10.1/hook",  # decimal, octal, hex, short
    "http://hooks.example.com/hook",  # plain http off loopback
    "https://hooks.example.com@169.254.169.254/hook", "https://user:pw@hooks.example.com/hook",  # userinfo
    "https://169.254.169.254\\@hooks.example.com/hook", "https://hooks.example.com/ho ok",
]
# Refused where loopback is not allowed (Azure).
LOOPBACK = ["https://localhost/hook", "https://LocalHost./hook", "https://api.localhost/hook", "https://127.0.0.1/hook",
            "https://127.0.0.2/hook", "https://[::1]/hook", "https://[::ffff:127.0.0.1]/hook", "https://2130706433/hook",
            "https://0177.0.0.1/hook", "https://127.1/hook"]
LOOPBACK_NAMES = [name for name in ("ip6-localhost", socket.gethostname()) if name != "localhost"]


def _resolves_to_loopback(name: str) -> bool:
    try:
        return all(info[4][0] in ("127.0.0.1", "::1") for info in socket.getaddrinfo(name, 443))
    except OSError:
        return False


@pytest.fixture(scope="module")
def strict(stack):
    """A host of the same stamp where loopback is refused, as in Azure."""
    host = start_other_host(stack, SSO_ALLOW_LOOPBACK_METADATA="false")
    yield ApiClient(host.base_url, stack.bootstrap_key)
    host.stop()


@pytest.fixture
def receiver():
    started = start_receiver()
    yield started
    started.stop()


def _org(admin, url: str | None = None) -> str:
    slug = "org-" + secrets.token_hex(5)
    body = {"id": slug, "name": slug, "redirect_uris": ["https://app.example.com/cb"]}
    created = admin.post("/api/organizations", json={**body, **({"notification_webhook_url": url} if url else {})})
    assert created.status_code == 201, created.text
    return slug


def _refused_at_save(client, slug: str, url: str) -> None:
    answer = client.patch(f"/api/organizations/{slug}", json={"notification_webhook_url": url})
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_field"), (url, answer.text)
    assert "public https URL" in answer.json()["error_description"], answer.json()["error_description"]


@pytest.mark.parametrize("url", NON_PUBLIC)
def test_non_public_urls_are_refused_at_save(admin, url):
    _refused_at_save(admin, _org(admin), url)


@pytest.mark.parametrize("url", NON_PUBLIC + LOOPBACK)
def test_non_public_and_loopback_urls_are_refused_at_save_where_loopback_is_off(admin, strict, url):
    _refused_at_save(strict, _org(admin), url)


@pytest.mark.parametrize("name", [n for n in LOOPBACK_NAMES if _resolves_to_loopback(n)] or
                         [pytest.param("none", marks=pytest.mark.skip("no other name resolves to loopback here"))])
def test_a_name_that_resolves_to_loopback_is_refused_at_save(admin, strict, name):
    _refused_at_save(strict, _org(admin), f"https://{name}/hook")


def test_public_https_urls_are_accepted(admin, strict):
    for client in (admin, strict):
        answer = client.patch(f"/api/organizations/{_org(admin)}", json={"notification_webhook_url": "https://hooks.example.com/entra-sso?x=1"})
        assert answer.status_code == 200 and answer.json()["notification_webhook_secret"], answer.text


def _pending_notification_with_url(stack, admin, receiver, url: str) -> str:
    """An org with a due notification, whose saved URL is then changed around the save check
    (as if saved under other rules, or DNS that answered otherwise then)."""
    from shared.storage import tables

    slug = _org(admin, receiver.url)
    expires = (datetime.now(timezone.utc).date() + timedelta(days=6)).isoformat()
    create_oidc_connection(admin, slug, register_oidc_app(stack), client_secret_expires_on=expires)
    stored = tables.get("organizations", slug, "organization")
    tables.replace("organizations", slug, "organization", {**stored.doc, "notification_webhook_url": url}, stored.etag)
    return slug


def _refused_at_send(admin, slug: str, counts: dict) -> None:
    from shared.lifecycle import webhooks

    assert counts["delivered"] == 0 and counts["failed"] == 1
    [row] = webhooks.pending(slug)
    assert row.doc.last_error.startswith("refused before sending"), row.doc.last_error
    [event] = events_of(admin, slug, "webhook.refused")
    assert event["outcome"] == "failed" and event["detail"]["reason"] and "public https URL" in event["detail"]["fix"]


@pytest.mark.parametrize("url", NON_PUBLIC)
def test_non_public_urls_are_refused_at_send(stack, admin, receiver, url):
    from shared.lifecycle import expiry_checks
    from shared.orgs import organizations

    slug = _pending_notification_with_url(stack, admin, receiver, url)
    _refused_at_send(admin, slug, expiry_checks.check_organization(organizations.get(slug).doc))
    assert receiver.deliveries == []


@pytest.mark.parametrize("form", ["http://127.0.0.1:{port}/hook", "http://localhost:{port}/hook", "http://[::ffff:127.0.0.1]:{port}/hook",
                                  "http://2130706433:{port}/hook", "http://x@127.0.0.1:{port}/hook"])
def test_loopback_is_refused_at_send_where_loopback_is_off(stack, admin, strict, receiver, form):
    """The receiver listens on loopback: the strict host's timer run must not reach it."""
    from shared.lifecycle import webhooks

    slug = _pending_notification_with_url(stack, admin, receiver, form.format(port=receiver.server.server_address[1]))
    ran = strict.post("/admin/functions/check_expiry", json={"input": ""}, headers={"x-functions-key": stack.bootstrap_key}, timeout=120)
    assert ran.status_code < 300, ran.text
    assert receiver.deliveries == [], "no request may leave"
    [row] = webhooks.pending(slug)
    assert row.doc.last_error.startswith("refused before sending")
    assert events_of(admin, slug, "webhook.refused")


def test_redirects_are_not_followed(stack, admin, receiver):
    from shared.lifecycle import expiry_checks, webhooks
    from shared.orgs import organizations

    elsewhere = start_receiver()
    try:
        slug = _org(admin, receiver.url)
        expires = (datetime.now(timezone.utc).date() + timedelta(days=6)).isoformat()
        create_oidc_connection(admin, slug, register_oidc_app(stack), client_secret_expires_on=expires)
        receiver.statuses, receiver.location = [307], elsewhere.url
        counts = expiry_checks.check_organization(organizations.get(slug).doc)
        assert counts["failed"] == 1 and len(receiver.deliveries) == 1 and elsewhere.deliveries == []
        assert "redirect" in webhooks.pending(slug)[0].doc.last_error
    finally:
        elsewhere.stop()


def test_a_refused_connection_is_reported_as_refused_not_as_slow():
    """urllib3 makes a refused connection a subclass of its timeout error; the admin must read
    'refused or unreachable', not 'did not answer in time'."""
    from local.azurite import free_port
    from shared.platform import public_url

    with pytest.raises(public_url.Failed) as failed:
        public_url.call("POST", f"http://127.0.0.1:{free_port()}/hook", allow_loopback=True, ca_bundle=None,
                        headers={}, body=b"{}", timeout=5, max_bytes=0)
    assert "refused" in failed.value.reason, failed.value.reason
