"""A connection's credential changes by one etag-guarded write: simultaneous rotations,
rollbacks and certificate activations never answer 5xx, never lose the credential in use, and
where one change is asked for by many (an If-Match, a single rollback, a single pending
certificate) exactly one makes it."""
from __future__ import annotations

from tests.concurrency.racing import RACERS, no_server_errors, one_winner, race, statuses
from tests.lifecycle.helpers import events_of, new_entra_secret, oidc_setup, record, sign_in


def _rotate(setup, secret: str, **headers):
    return lambda i, s: s.post(setup.url + "/secret", json={"client_secret": secret, "expires_on": "2099-01-01"}, headers=headers)


def _refused(responses, winner, *codes) -> None:
    assert all(r.status_code == 409 and r.json()["error"] in codes for r in responses if r is not winner), statuses(responses)


def test_twenty_rotations_with_one_if_match_make_one_secret_current(stack, admin, new_org):
    setup = oidc_setup(stack, admin, new_org)
    etag = admin.get(setup.url).headers["ETag"]
    secrets_ = [new_entra_secret(stack, setup) for _ in range(RACERS)]

    responses = race(stack, lambda i, s: _rotate(setup, secrets_[i], **{"If-Match": etag})(i, s), key=stack.bootstrap_key)
    winner = one_winner(responses, lambda r: r.status_code == 200)
    _refused(responses, winner, "conflict")
    rotated = events_of(admin, setup.org, "connection.secret_rotated")
    assert len(rotated) == 1 and record(setup.connection["id"])["client_secret_version"] == rotated[0]["detail"]["version"]
    assert winner.headers["ETag"] == admin.get(setup.url).headers["ETag"]
    sign_in(stack, setup)  # the current secret is one Entra accepts


def test_twenty_rotations_at_once_leave_one_consistent_credential(stack, admin, new_org):
    """Without If-Match each rotation may succeed in turn, but only on top of the one before:
    the successful rotations form one chain from the original secret to the current one (no
    rotation answered 200 and was then silently overwritten), and sign-ins work."""
    setup = oidc_setup(stack, admin, new_org)
    before = record(setup.connection["id"])["client_secret_version"]
    secrets_ = [new_entra_secret(stack, setup) for _ in range(RACERS)]

    responses = race(stack, lambda i, s: _rotate(setup, secrets_[i])(i, s), key=stack.bootstrap_key)
    no_server_errors(responses)
    won = [r for r in responses if r.status_code == 200]
    assert won, statuses(responses)
    assert all(r.status_code == 409 and r.json()["error"] == "conflict" for r in responses if r.status_code != 200)
    doc = record(setup.connection["id"])
    assert admin.get(setup.url).headers["ETag"] in {r.headers["ETag"] for r in won}  # the last write is one answered 200
    replaced = {e["detail"]["replaced_credential"]["version"]: e["detail"]["version"]
                for e in events_of(admin, setup.org, "connection.secret_rotated")}
    assert len(replaced) == len(won)  # no version was replaced twice
    chain, version = [], before
    while version in replaced:
        version = replaced[version]
        chain.append(version)
    assert len(chain) == len(won) and version == doc["client_secret_version"]
    assert doc["previous_credential"]["version"] == ([before] + chain)[-2]
    sign_in(stack, setup)


def test_twenty_rollbacks_at_once_restore_once(stack, admin, new_org):
    setup = oidc_setup(stack, admin, new_org)
    original = record(setup.connection["id"])["client_secret_version"]
    rotated = _rotate(setup, new_entra_secret(stack, setup))(0, admin)
    assert rotated.status_code == 200, rotated.text

    responses = race(stack, lambda i, s: s.post(setup.url + "/secret/rollback"), key=stack.bootstrap_key)
    winner = one_winner(responses, lambda r: r.status_code == 200)
    _refused(responses, winner, "conflict", "rollback_unavailable")
    doc = record(setup.connection["id"])
    assert doc["client_secret_version"] == original and "previous_credential" not in doc
    sign_in(stack, setup)


def test_twenty_activations_of_one_certificate_make_it_current_once(stack, admin, new_org):
    setup = oidc_setup(stack, admin, new_org)
    created = admin.post(setup.url + "/certificate")
    assert created.status_code == 201, created.text
    stack.simulator.update_app(setup.app["client_id"], {"certificates": [created.json()["certificate_pem"]]})  # the admin uploads it

    responses = race(stack, lambda i, s: s.post(setup.url + "/certificate/activate"), key=stack.bootstrap_key)
    winner = one_winner(responses, lambda r: r.status_code == 200)
    _refused(responses, winner, "conflict", "no_pending_certificate")
    doc = record(setup.connection["id"])
    assert doc["certificate_credential"]["thumbprint"] == created.json()["thumbprint"] and "pending_certificate" not in doc
    assert doc["previous_credential"]["type"] == "secret"  # what was replaced is the secret, not the certificate itself
    sign_in(stack, setup)
