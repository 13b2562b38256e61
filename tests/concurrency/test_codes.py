"""A one-time code is redeemed once: of twenty simultaneous token exchanges, one gets the profile."""
from __future__ import annotations

from tests.concurrency.racing import one_winner, race
from tests.flows.helpers import APP_REDIRECT, Browser, oidc_sign_in, query
from tests.lifecycle.helpers import oidc_setup


def test_twenty_simultaneous_exchanges_of_one_code_give_one_profile(stack, admin, new_org):
    setup = oidc_setup(stack, admin, new_org)
    callback = oidc_sign_in(Browser(stack.simulator.ca_bundle), stack, connection=setup.connection["id"])
    assert callback.status_code == 302 and callback.headers["Location"].startswith(APP_REDIRECT + "?"), callback.text[:300]
    code = query(callback.headers["Location"])["code"]

    responses = race(stack, lambda i, s: s.post("/api/sso/token", json={"code": code}), key=setup.backend.headers["Authorization"][7:])
    winner = one_winner(responses, lambda r: r.status_code == 200)
    assert winner.json()["profile"]["organization"] == setup.org
    assert all(r.json()["error"] == "invalid_grant" for r in responses if r is not winner)
    # and once the race is over, the code stays spent
    assert setup.backend.post("/api/sso/token", json={"code": code}).json()["error"] == "invalid_grant"


def test_the_spend_is_guarded_even_when_every_racer_has_read_the_unspent_code(stack, admin, new_org, monkeypatch):
    """The worst interleaving, forced: every exchange reads the code before any of them spends it
    (a barrier after the read, in the dev host's own threads). Only the etag-guarded spend can
    still give one winner; a read-then-write without it gives twenty."""
    setup = oidc_setup(stack, admin, new_org)
    callback = oidc_sign_in(Browser(stack.simulator.ca_bundle), stack, connection=setup.connection["id"])
    code = query(callback.headers["Location"])["code"]
    _every_racer_reads_before_any_spends(monkeypatch)
    responses = race(stack, lambda i, s: s.post("/api/sso/token", json={"code": code}), key=setup.backend.headers["Authorization"][7:])
    winner = one_winner(responses, lambda r: r.status_code == 200)
    assert winner.json()["profile"]["organization"] == setup.org
    assert all(r.json()["error"] == "invalid_grant" for r in responses if r is not winner)


def test_a_code_whose_profile_spans_several_properties_is_redeemed_once(stack, admin, new_org, browser, monkeypatch):
    """5,000 groups (a login row of seven `doc` properties): the forced worst interleaving still
    gives one winner, who gets every group."""
    from tests.shared_app.test_groups_overage import _overage_org

    many = _overage_org(stack, admin, new_org, 5000)
    callback = oidc_sign_in(browser, stack, many["username"], connection=many["connection"]["id"])
    code = query(callback.headers["Location"])["code"]
    _every_racer_reads_before_any_spends(monkeypatch)
    responses = race(stack, lambda i, s: s.post("/api/sso/token", json={"code": code}), key=many["backend"].headers["Authorization"][7:])
    winner = one_winner(responses, lambda r: r.status_code == 200)
    assert winner.json()["profile"]["groups"] == many["groups"]
    assert all(r.json()["error"] == "invalid_grant" for r in responses if r is not winner)


def _every_racer_reads_before_any_spends(monkeypatch) -> None:
    """The worst interleaving, forced: in the dev host's own threads, each racer's read of the
    login waits at a barrier until all of them have read it, so every racer holds the unspent
    code's etag before any spend is sent."""
    import threading

    from shared.signin import logins
    from tests.concurrency.racing import RACERS

    all_read = threading.Barrier(RACERS, timeout=60)
    real_read = logins._read

    def read_then_wait(*args):
        stored = real_read(*args)
        all_read.wait()
        return stored

    monkeypatch.setattr(logins, "_read", read_then_wait)
