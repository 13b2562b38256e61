"""Revoking an API key is single use, and nothing brings a revoked key back: of twenty
simultaneous revocations exactly one succeeds; requests signed with the key while it is revoked
(each of which would write `last_used`) never recreate its row."""
from __future__ import annotations

from tests.concurrency.racing import no_server_errors, one_winner, race, statuses
from tests.conftest import ApiClient


def _make(admin, org: str) -> dict:
    made = admin.post("/api/api-keys", json={"organization": org, "name": "raced"})
    assert made.status_code == 201, made.text
    return made.json()


def _row(key_id: str):
    from shared.storage import tables

    return tables.get("apikeys", key_id, "apikey")


def test_twenty_revocations_of_one_key_revoke_it_once(stack, admin, new_org):
    org = new_org()
    made = _make(admin, org)
    responses = race(stack, lambda i, s: s.delete(f"/api/api-keys/{made['id']}"), key=stack.bootstrap_key)
    no_server_errors(responses)
    winner = one_winner(responses, lambda r: r.status_code == 204)
    assert all(r.status_code == 404 and r.json()["error"] == "not_found" for r in responses if r is not winner), statuses(responses)
    events = admin.get(f"/api/organizations/{org}/events").json()["items"]
    assert [e["detail"]["key_id"] for e in events if e["type"] == "api_key.revoked"] == [made["id"]]
    assert ApiClient(stack.base_url, made["key"]).get(f"/api/organizations/{org}").status_code == 401


def test_requests_racing_a_revocation_never_bring_the_key_back(stack, admin, new_org):
    from shared.storage import tables

    org = new_org()
    made = _make(admin, org)
    stored = _row(made["id"])
    # last_used long ago: every racing request that authenticates writes it (an etag-conditional replace)
    tables.replace("apikeys", made["id"], "apikey", {**stored.doc, "last_used": "2020-01-01T00:00:00Z"}, stored.etag, {"organization": org})

    def fire(i: int, session: ApiClient):
        if i == 0:
            return session.delete(f"/api/api-keys/{made['id']}", headers={"Authorization": f"Bearer {stack.bootstrap_key}"})
        return session.get(f"/api/organizations/{org}")

    responses = race(stack, fire, key=made["key"])
    no_server_errors(responses)
    assert responses[0].status_code == 204, responses[0].text
    assert all(r.status_code in (200, 401) for r in responses[1:]), statuses(responses)
    assert _row(made["id"]) is None
    assert ApiClient(stack.base_url, made["key"]).get(f"/api/organizations/{org}").status_code == 401
