"""Single-owner records of the admin API: an org slug, an SP entity id, a domain claim and an
invitation each exist once however many create them at once; API keys made at once are all
distinct and all work."""
from __future__ import annotations

import secrets

from tests.concurrency.racing import RACERS, no_server_errors, one_winner, race, statuses
from tests.conftest import ApiClient
from tests.flows.helpers import APP_REDIRECT, CONTOSO
from tests.policy.conftest import unique_domain


def _losers(responses, winner, status: int, code: str | None = None) -> None:
    assert all(r.status_code == status and (code is None or r.json()["error"] == code) for r in responses if r is not winner), statuses(responses)


def test_twenty_creations_of_one_org_slug_create_it_once(stack, admin):
    slug = "same-" + secrets.token_hex(4)
    responses = race(stack, lambda i, s: s.post("/api/organizations", json={"id": slug, "name": f"Racer {i}", "redirect_uris": [APP_REDIRECT]}),
                     key=stack.bootstrap_key)
    winner = one_winner(responses, lambda r: r.status_code == 201)
    _losers(responses, winner, 409, "already_exists")
    assert admin.get(f"/api/organizations/{slug}").json()["name"] == winner.json()["name"]


def test_twenty_api_keys_made_at_once_are_distinct_and_all_work(stack, admin, new_org):
    org = new_org()
    responses = race(stack, lambda i, s: s.post("/api/api-keys", json={"organization": org, "name": f"k{i}"}), key=stack.bootstrap_key)
    no_server_errors(responses)
    assert statuses(responses) == {201: RACERS}
    keys = [r.json()["key"] for r in responses]
    assert len(set(keys)) == len({r.json()["id"] for r in responses}) == RACERS
    for key in keys:
        assert ApiClient(stack.base_url, key).get(f"/api/organizations/{org}").status_code == 200


def test_twenty_saml_connections_with_one_sp_entity_id_get_it_once(stack, admin, new_org):
    org = new_org()
    entity_id = f"urn:example:race:{secrets.token_hex(4)}"
    metadata = f"{stack.simulator.authority}/{CONTOSO}/federationmetadata/2007-06/federationmetadata.xml"
    responses = race(stack, lambda i, s: s.post(f"/api/organizations/{org}/connections",
                                                json={"protocol": "saml", "idp_metadata_url": metadata, "sp_entity_id": entity_id}),
                     key=stack.bootstrap_key)
    winner = one_winner(responses, lambda r: r.status_code == 201)
    _losers(responses, winner, 409, "already_exists")
    listed = admin.get(f"/api/organizations/{org}/connections").json()["items"]
    assert [c["id"] for c in listed if c["sp_entity_id"] == entity_id] == [winner.json()["id"]]


def test_twenty_claims_of_one_domain_by_one_org_make_one_claim(stack, admin, new_org):
    org, domain = new_org(), unique_domain()
    responses = race(stack, lambda i, s: s.post(f"/api/organizations/{org}/domains", json={"domain": domain}), key=stack.bootstrap_key)
    winner = one_winner(responses, lambda r: r.status_code == 201)
    _losers(responses, winner, 200)
    assert all(r.json() == winner.json() for r in responses)  # one token: the record the admin publishes
    assert admin.get(f"/api/organizations/{org}/domains").json()["items"] == [winner.json()]


def test_twenty_invitations_of_one_email_make_one(stack, admin, new_org):
    org = new_org()
    responses = race(stack, lambda i, s: s.post(f"/api/organizations/{org}/invitations", json={"email": "new.hire@example.com"}),
                     key=stack.bootstrap_key)
    winner = one_winner(responses, lambda r: r.status_code == 201)
    _losers(responses, winner, 200)
    assert all(r.json() == winner.json() for r in responses)
    assert admin.get(f"/api/organizations/{org}/invitations").json()["items"] == [winner.json()]


def test_twenty_patches_to_new_sp_entity_ids_leave_only_the_winners_claimed(stack, admin, new_org):
    """Each PATCH claims its new entity id before it saves; the nineteen that lose the save (409)
    must give their claims back, or those ids could never be used again."""
    org = new_org()
    metadata = f"{stack.simulator.authority}/{CONTOSO}/federationmetadata/2007-06/federationmetadata.xml"
    created = admin.post(f"/api/organizations/{org}/connections", json={"protocol": "saml", "idp_metadata_url": metadata})
    assert created.status_code == 201, created.text
    connection = created.json()["id"]
    entity_ids = [f"urn:example:patch-race:{secrets.token_hex(4)}:{i}" for i in range(RACERS)]
    responses = race(stack, lambda i, s: s.patch(f"/api/organizations/{org}/connections/{connection}",
                                                 json={"sp_entity_id": entity_ids[i]}), key=stack.bootstrap_key)
    no_server_errors(responses)
    won = [entity_ids[i] for i, r in enumerate(responses) if r.status_code == 200]
    assert won and all(r.status_code in (200, 409) for r in responses), statuses(responses)
    current = admin.get(f"/api/organizations/{org}/connections/{connection}").json()["sp_entity_id"]
    assert current in won
    for entity_id in entity_ids:
        if entity_id == current:
            continue
        again = admin.post(f"/api/organizations/{org}/connections",
                           json={"protocol": "saml", "idp_metadata_url": metadata, "sp_entity_id": entity_id})
        assert again.status_code == 201, (entity_id, again.text)
