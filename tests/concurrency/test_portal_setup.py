"""The portal's single-owner steps under 20 simultaneous posts from one portal session: a
connection's first certificate is activated once, and a refused one-click connection is
replaced once (one new connection, not twenty)."""
from __future__ import annotations

import base64
import re
from html import unescape

from tests.concurrency.racing import one_winner, race, statuses
from tests.flows.helpers import register_oidc_app
from tests.lifecycle.helpers import events_of, record
from tests.portal.helpers import csrf_token, portal_session
from tests.shared_app.helpers import consent, customer_tenant


def _posts(stack, client, path: str, fields: dict, page_path: str):
    token = csrf_token(client.get(page_path).text)
    headers = {"Origin": stack.base_url, "Sec-Fetch-Site": "same-origin"}
    return lambda i, s: s.post(path, data={"csrf_token": token, **fields}, headers=headers, cookies=client.cookies)


def test_twenty_activations_of_a_first_certificate_save_it_once(stack, admin, new_org):
    org, app = new_org(), register_oidc_app(stack, secrets=[])
    client = portal_session(stack, admin, org)
    path = client.submit("/portal/sso/oidc", {"entra_tenant_id": app["tenant"], "client_id": app["client_id"],
                                              "credential": "certificate"}).headers["Location"]
    connection_id = path.rsplit("/", 1)[1]
    cer = client.get(f"/portal/credentials/{connection_id}/certificate", params={"format": "cer"}).content
    stack.simulator.update_app(app["client_id"], {"certificates": [base64.b64encode(cer).decode()]})

    responses = race(stack, _posts(stack, client, path, {"action": "activate"}, path))
    winner = one_winner(responses, lambda r: r.status_code == 200 and 'id="saved"' in r.text)
    assert all(r.status_code == 409 for r in responses if r is not winner), statuses(responses)
    assert len(events_of(admin, org, "connection.certificate_activated")) == 1
    doc = record(connection_id)
    assert "pending_certificate" not in doc and doc["certificate_credential"]["key_version"]


def _refused_one_click(stack, admin, org: str, browser):
    """A portal session of `org` and its one-click connection whose consent the admin refused:
    (session, the connection's page, its id)."""
    tenant = customer_tenant(stack)
    client = portal_session(stack, admin, org)
    path = client.submit("/portal/sso/one-click", {}, page_path="/portal/sso").headers["Location"]
    consent_url = unescape(re.search(r'id="open-consent" href="([^"]+)"', client.get(path).text).group(1))
    assert consent(browser, consent_url, tenant["admin"], decision="cancel").status_code == 400
    return client, path, path.rsplit("/", 1)[1]


def test_twenty_start_agains_replace_a_refused_one_click_connection_once(stack, admin, new_org, browser):
    org = new_org()
    client, path, refused = _refused_one_click(stack, admin, org, browser)

    responses = race(stack, _posts(stack, client, "/portal/sso/one-click", {"replace": refused}, path))
    winner = one_winner(responses, lambda r: r.status_code == 303)
    assert all(r.status_code in (404, 409) for r in responses if r is not winner), statuses(responses)
    [left] = admin.get(f"/api/organizations/{org}/connections").json()["items"]
    assert winner.headers["Location"] == f"/portal/sso/one-click/{left['id']}" and left["id"] != refused
    assert len(events_of(admin, org, "connection.deleted")) == 1


def test_start_again_replaces_once_even_for_racers_that_read_after_the_first_claim(stack, admin, new_org, browser, monkeypatch):
    """The interleaving an etag-conditional claim lets through: one racer claims the refused
    connection, and the others read it only then (with the claim's new etag), before it is gone."""
    import itertools
    import threading

    from shared.admin import connection_admin
    from shared.portal import views

    org = new_org()
    client, path, refused = _refused_one_click(stack, admin, org, browser)

    claimed, other_claimed, first = threading.Event(), threading.Event(), threading.Lock()
    read, delete, deletes = views._one_click_connection, connection_admin.delete, itertools.count()

    def read_after_the_claim(visit, connection_id):
        if not first.acquire(blocking=False):  # the first racer goes ahead; the others read after its claim
            claimed.wait(30)
        return read(visit, connection_id)

    def delete_after_another_claim(*args, **kwargs):
        if next(deletes) == 0:
            claimed.set()
            other_claimed.wait(5)  # a racer whose claim got through deletes too: then this one goes on at once
        else:
            other_claimed.set()
        return delete(*args, **kwargs)

    post = _posts(stack, client, "/portal/sso/one-click", {"replace": refused}, path)  # reads the page: before the patches
    monkeypatch.setattr(views, "_one_click_connection", read_after_the_claim)
    monkeypatch.setattr(connection_admin, "delete", delete_after_another_claim)
    responses = race(stack, post)
    winner = one_winner(responses, lambda r: r.status_code == 303)
    assert all(r.status_code in (404, 409) for r in responses if r is not winner), statuses(responses)
    assert len(admin.get(f"/api/organizations/{org}/connections").json()["items"]) == 1
