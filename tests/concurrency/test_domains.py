"""A domain belongs to one organization: twenty orgs verifying it at the same moment, one wins."""
from __future__ import annotations

from tests.concurrency.racing import RACERS, one_winner, race
from tests.policy.conftest import unique_domain


def _claimed_by(admin, new_org, dns_zone, domain: str) -> list[str]:
    """RACERS orgs, each with a claim of `domain` whose TXT record is published."""
    orgs = [new_org() for _ in range(RACERS)]
    for org in orgs:
        claimed = admin.post(f"/api/organizations/{org}/domains", json={"domain": domain})
        assert claimed.status_code == 201, claimed.text
        dns_zone.publish(claimed.json()["txt_record"]["name"], claimed.json()["txt_record"]["value"])
    return orgs


def _verify_all(stack, admin, orgs: list[str], domain: str) -> str:
    responses = race(stack, lambda i, s: s.post(f"/api/organizations/{orgs[i]}/domains/{domain}/verify"), key=stack.bootstrap_key)
    winner = one_winner(responses, lambda r: r.status_code == 200)
    assert all((r.status_code, r.json()["error"]) == (409, "domain_taken") for r in responses if r is not winner)
    owners = [org for org in orgs if domain in admin.get(f"/api/organizations/{org}").json()["verified_domains"]]
    assert len(owners) == 1
    return owners[0]


def test_twenty_orgs_verifying_one_domain_at_once_give_it_to_one(stack, admin, new_org, dns_zone):
    domain = unique_domain()
    orgs = _claimed_by(admin, new_org, dns_zone, domain)
    owner = _verify_all(stack, admin, orgs, domain)
    from shared.policy import domains

    assert domains.domain_owner(domain) == owner


def test_twenty_orgs_taking_over_a_stale_owner_row_at_once_give_it_to_one(stack, admin, new_org, dns_zone):
    """An owner row left by an org that no longer exists (its deletion stopped half-way) may be
    taken over, by one org only."""
    from shared.storage import tables

    domain = unique_domain()
    tables.insert("domains", domain, "owner", {"domain": domain, "organization": "gone-org", "org_created": "2026-01-01T00:00:00+00:00",
                                              "verified_at": "2026-01-01T00:00:00+00:00"})
    orgs = _claimed_by(admin, new_org, dns_zone, domain)
    owner = _verify_all(stack, admin, orgs, domain)
    assert tables.get("domains", domain, "owner").doc["organization"] == owner
