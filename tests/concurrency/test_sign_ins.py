"""A login state ends in one code, and a SAML assertion signs in once, however many browsers
(or attackers) present them at the same moment."""
from __future__ import annotations

from urllib.parse import urljoin

import pytest

from tests.concurrency.racing import RACERS, one_winner, race
from tests.flows.helpers import (
    ADELE,
    APP_REDIRECT,
    CONTOSO,
    create_oidc_connection,
    create_saml_connection,
    entra_sign_in,
    form_action,
    form_fields,
    query,
    register_oidc_app,
    start,
)


def _got_code(response) -> bool:
    location = response.headers.get("Location", "")
    return response.status_code == 302 and location.startswith(APP_REDIRECT + "?") and "code" in query(location)



def test_one_login_state_gives_one_code_to_twenty_simultaneous_callbacks(stack, admin, new_org, browser):
    """Twenty Entra codes for one sign-in (its authorize URL opened twenty times, each a valid
    answer to the same state, nonce and PKCE challenge), sent back at once: only the login's
    etag-guarded commit stands between them and twenty codes."""
    org = new_org()
    connection = create_oidc_connection(admin, org, register_oidc_app(stack))
    started = start(browser, stack, connection=connection["id"])
    assert started.status_code == 302, started.text[:300]
    callbacks = []
    for _ in range(RACERS):
        from_entra = entra_sign_in(browser, started.headers["Location"], ADELE)
        assert from_entra.status_code == 302, from_entra.text[:300]
        callbacks.append(from_entra.headers["Location"])
    assert len({query(url)["code"] for url in callbacks}) == RACERS and len({query(url)["state"] for url in callbacks}) == 1

    responses = race(stack, lambda i, s: s.get(callbacks[i]))
    one_winner(responses, _got_code)
    assert all(r.status_code == 400 and "invalid_state" in r.text for r in responses if not _got_code(r))


def _losers_refused_in_the_browser(responses) -> None:
    """As at the OIDC callback: a response whose login another one used is refused with a 400
    page (the login was already used, or lost the commit), never sent to the app as a failure."""
    losers = [r for r in responses if not _got_code(r)]
    assert all(r.status_code == 400 and "Location" not in r.headers for r in losers), [(r.status_code, r.headers.get("Location")) for r in losers]


@pytest.fixture
def saml_connection(stack, admin, new_org):
    org = new_org()
    return create_saml_connection(stack, admin, org)


def test_one_saml_login_gives_one_code_to_twenty_simultaneous_responses(stack, saml_connection, browser):
    """Twenty distinct responses (twenty assertion ids) answering one AuthnRequest: the login's
    etag is the guard."""
    started = start(browser, stack, connection=saml_connection["id"])
    forms = []
    for _ in range(RACERS):
        page = entra_sign_in(browser, started.headers["Location"], ADELE)
        assert page.status_code == 200 and "SAMLResponse" in page.text, page.text[:300]
        forms.append((urljoin(started.headers["Location"], form_action(page.text)), form_fields(page.text)))
    assert len({fields["SAMLResponse"] for _, fields in forms}) == RACERS

    responses = race(stack, lambda i, s: s.post(forms[i][0], data=forms[i][1]))
    one_winner(responses, _got_code)
    _losers_refused_in_the_browser(responses)


def test_one_saml_response_posted_twenty_times_signs_in_once(stack, saml_connection, browser):
    started = start(browser, stack, connection=saml_connection["id"])
    page = entra_sign_in(browser, started.headers["Location"], ADELE)
    acs_url, fields = form_action(page.text), form_fields(page.text)

    responses = race(stack, lambda i, s: s.post(acs_url, data=fields))
    one_winner(responses, _got_code)
    _losers_refused_in_the_browser(responses)


def test_one_idp_initiated_assertion_posted_twenty_times_signs_in_once(stack, admin, saml_connection):
    """No login state here: the assertion id's replay row, inserted in the commit, is the guard."""
    connection = saml_connection
    patched = admin.patch(f"/api/organizations/{connection['organization']}/connections/{connection['id']}", json={"allow_idp_initiated": True})
    assert patched.status_code == 200, patched.text
    sent = stack.simulator.saml_idp_initiated(CONTOSO, connection["sim_app"]["app_id"], ADELE)

    responses = race(stack, lambda i, s: s.post(connection["acs_url"], data={"SAMLResponse": sent["SAMLResponse"]}))
    one_winner(responses, _got_code)
    assert all(r.status_code == 400 and "saml_assertion_replayed" in r.text for r in responses if not _got_code(r))
