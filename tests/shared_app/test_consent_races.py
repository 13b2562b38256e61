"""The consent answer and the proof sign-in are single use, even when twenty arrive at once."""
from __future__ import annotations

from tests.concurrency.racing import RACERS, one_winner, race
from tests.flows.helpers import entra_sign_in
from tests.shared_app.helpers import consent, consent_page_post, create_shared, customer_tenant


def test_twenty_simultaneous_consent_answers_start_one_proof(stack, admin, new_org, browser):
    org = new_org()
    tenant = customer_tenant(stack)
    connection = create_shared(admin, org).json()
    back = consent_page_post(browser, connection["admin_consent_url"], tenant["admin"])
    path = back.headers["Location"][len(stack.base_url):]
    answers = race(stack, lambda i, session: session.get(path))
    one_winner(answers, lambda r: r.status_code == 302)
    assert all(r.status_code == 400 and "invalid_state" in r.text for r in answers if r.status_code != 302)


def test_twenty_simultaneous_proofs_bind_the_tenant_once(stack, admin, new_org, browser):
    """Twenty Entra codes for one proof login (its authorize URL opened twenty times), sent back
    at once: one binds the connection, the others are refused."""
    org = new_org()
    tenant = customer_tenant(stack)
    connection = create_shared(admin, org).json()
    answer = consent(browser, connection["admin_consent_url"], tenant["admin"])
    callbacks = [entra_sign_in(browser, answer.headers["Location"], tenant["admin"]).headers["Location"][len(stack.base_url):]
                 for _ in range(RACERS)]
    results = race(stack, lambda i, session: session.get(callbacks[i]))
    one_winner(results, lambda r: r.status_code == 200 and "Connected" in r.text)
    events = admin.get(f"/api/organizations/{org}/events").json()["items"]
    assert [e["outcome"] for e in events if e["type"] == "connection.consent"].count("ok") == 1
    assert admin.get(f"/api/organizations/{org}/connections/{connection['id']}").json()["entra_tenant_id"] == tenant["id"]
