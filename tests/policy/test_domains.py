"""Domain claims verified by a real DNS query to a DNS server on loopback."""
from __future__ import annotations

import concurrent.futures
import socket
import time

import pytest

from tests.policy.conftest import dns_resolver_setting, unique_domain


def _claim(admin, org, domain):
    response = admin.post(f"/api/organizations/{org}/domains", json={"domain": domain})
    assert response.status_code == 201, response.text
    return response.json()


def _events(admin, org):
    return admin.get(f"/api/organizations/{org}/events", params={"limit": 100}).json()["items"]


def test_claim_publish_and_verify(admin, new_org, dns_zone):
    org = new_org()
    domain = unique_domain()
    claimed = _claim(admin, org, domain.upper())
    assert set(claimed) == {"domain", "status", "txt_record"}
    assert claimed["domain"] == domain and claimed["status"] == "pending"
    assert claimed["txt_record"]["name"] == f"_entra-sso.{domain}"
    value = claimed["txt_record"]["value"]
    assert value.startswith("entra-sso-verification=") and len(value) > len("entra-sso-verification=") + 20

    again = admin.post(f"/api/organizations/{org}/domains", json={"domain": domain})
    assert again.status_code == 200 and again.json() == claimed  # same token: what the admin published stays right
    listed = admin.get(f"/api/organizations/{org}/domains").json()
    assert listed == {"items": [claimed], "next": None}
    assert admin.get(f"/api/organizations/{org}").json()["verified_domains"] == []

    dns_zone.publish(f"_entra-sso.{domain}", "v=spf1 -all", value)
    verified = admin.post(f"/api/organizations/{org}/domains/{domain}/verify")
    assert verified.status_code == 200, verified.text
    assert verified.json() == {**claimed, "status": "verified"}
    assert f"_entra-sso.{domain}" in dns_zone.queries
    assert admin.get(f"/api/organizations/{org}").json()["verified_domains"] == [domain]
    assert admin.get(f"/api/organizations/{org}/domains/{domain}").json()["status"] == "verified"

    events = _events(admin, org)
    by_type = {e["type"]: e for e in events}
    assert by_type["domain.claimed"]["detail"]["domain"] == domain
    assert by_type["domain.verified"]["detail"]["domain"] == domain and by_type["domain.verified"]["detail"]["verified_at"]


def test_a_record_split_into_several_strings_is_read_whole(admin, new_org, dns_zone):
    org = new_org()
    domain = unique_domain()
    value = _claim(admin, org, domain)["txt_record"]["value"]
    dns_zone.publish(f"_entra-sso.{domain}", [value[:20], value[20:]])
    assert admin.post(f"/api/organizations/{org}/domains/{domain}/verify").json()["status"] == "verified"


def test_wrong_value_is_not_verified_and_says_what_was_expected_and_found(admin, new_org, dns_zone):
    org = new_org()
    domain = unique_domain()
    value = _claim(admin, org, domain)["txt_record"]["value"]
    dns_zone.publish(f"_entra-sso.{domain}", "entra-sso-verification=someone-elses-token")
    response = admin.post(f"/api/organizations/{org}/domains/{domain}/verify")
    assert response.status_code == 400 and response.json()["error"] == "domain_not_verified"
    description = response.json()["error_description"]
    assert value in description and "someone-elses-token" in description and f"_entra-sso.{domain}" in description
    assert admin.get(f"/api/organizations/{org}").json()["verified_domains"] == []
    assert admin.get(f"/api/organizations/{org}/domains/{domain}").json()["status"] == "pending"
    failed = [e for e in _events(admin, org) if e["type"] == "domain.verification_failed"]
    assert failed and failed[0]["error"] == "domain_not_verified" and failed[0]["outcome"] == "failed"


def test_the_value_on_another_name_does_not_count(admin, new_org, dns_zone):
    org = new_org()
    domain = unique_domain()
    value = _claim(admin, org, domain)["txt_record"]["value"]
    dns_zone.publish(domain, value)  # at the apex, not at _entra-sso.<domain>
    response = admin.post(f"/api/organizations/{org}/domains/{domain}/verify")
    assert response.status_code == 400 and response.json()["error"] == "domain_not_verified"


def test_missing_record_is_not_verified(admin, new_org, dns_zone):
    org = new_org()
    domain = unique_domain()
    _claim(admin, org, domain)
    response = admin.post(f"/api/organizations/{org}/domains/{domain}/verify")
    assert response.status_code == 400 and response.json()["error"] == "domain_not_verified"
    assert "found no TXT record" in response.json()["error_description"]
    assert admin.get(f"/api/organizations/{org}").json()["verified_domains"] == []


def test_a_domain_verified_by_one_org_is_taken_for_another(admin, new_org, dns_zone, verified_domain):
    first, second = new_org(), new_org()
    domain = verified_domain(first)
    second_value = _claim(admin, second, domain)["txt_record"]["value"]
    dns_zone.publish(f"_entra-sso.{domain}", second_value)  # the second org controls DNS now, too
    taken = admin.post(f"/api/organizations/{second}/domains/{domain}/verify")
    assert taken.status_code == 409 and taken.json()["error"] == "domain_taken"
    assert admin.get(f"/api/organizations/{second}").json()["verified_domains"] == []
    assert admin.get(f"/api/organizations/{first}").json()["verified_domains"] == [domain]
    assert [e["error"] for e in _events(admin, second) if e["type"] == "domain.verification_failed"] == ["domain_taken"]

    # once the first org gives the domain up, the second may verify it
    assert admin.delete(f"/api/organizations/{first}/domains/{domain}").status_code == 204
    assert admin.get(f"/api/organizations/{first}").json()["verified_domains"] == []
    assert admin.get(f"/api/organizations/{first}/domains/{domain}").status_code == 404
    assert admin.post(f"/api/organizations/{second}/domains/{domain}/verify").json()["status"] == "verified"
    assert admin.get(f"/api/organizations/{second}").json()["verified_domains"] == [domain]


def test_concurrent_verification_by_two_orgs_has_one_winner(admin, new_org, dns_zone):
    orgs = [new_org() for _ in range(4)]
    domain = unique_domain()
    for org in orgs:
        dns_zone.publish(f"_entra-sso.{domain}", _claim(admin, org, domain)["txt_record"]["value"])
    with concurrent.futures.ThreadPoolExecutor(len(orgs)) as pool:
        results = list(pool.map(lambda org: admin.post(f"/api/organizations/{org}/domains/{domain}/verify"), orgs))
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409], [r.text for r in results]
    winners = [org for org in orgs if domain in admin.get(f"/api/organizations/{org}").json()["verified_domains"]]
    assert winners == [orgs[[r.status_code for r in results].index(200)]]


def test_a_deleted_org_leaves_its_domain_free_and_a_new_org_of_its_slug_inherits_nothing(admin, new_org, dns_zone, verified_domain):
    gone = new_org()
    domain = verified_domain(gone)
    assert admin.delete(f"/api/organizations/{gone}").status_code == 204
    other = new_org()
    dns_zone.publish(f"_entra-sso.{domain}", _claim(admin, other, domain)["txt_record"]["value"])
    assert admin.post(f"/api/organizations/{other}/domains/{domain}/verify").status_code == 200
    time.sleep(1.1)  # rows carry the org's `created` (second resolution) to tell the two orgs apart
    again = new_org(id=gone)
    assert admin.get(f"/api/organizations/{again}/domains").json()["items"] == []
    assert admin.get(f"/api/organizations/{again}").json()["verified_domains"] == []


@pytest.mark.parametrize("domain", ["gmail.com", "Outlook.com", "hotmail.co.uk", "gmx.de", "gmx.net", "yahoo.com.au",
                                    "proton.me", "icloud.com", "mail.outlook.com", "live.com"])
def test_consumer_domains_are_refused(admin, new_org, domain):
    org = new_org()
    response = admin.post(f"/api/organizations/{org}/domains", json={"domain": domain})
    assert response.status_code == 400 and response.json()["error"] == "consumer_domain"
    assert admin.get(f"/api/organizations/{org}/domains").json()["items"] == []


@pytest.mark.parametrize("domain", ["gmxcorp.com", "livestock-farms.com", "contoso-gmail.com"])
def test_company_domains_that_look_like_consumer_ones_are_accepted(admin, new_org, domain):
    response = admin.post(f"/api/organizations/{new_org()}/domains", json={"domain": domain})
    assert response.status_code == 201, response.text


def test_bad_claims_get_stable_codes(admin, new_org):
    org = new_org()
    cases = [
        (admin.post(f"/api/organizations/{org}/domains", json={}), 400, "missing_field"),
        (admin.post(f"/api/organizations/{org}/domains", json={"domain": "not a domain"}), 400, "invalid_field"),
        (admin.post(f"/api/organizations/{org}/domains", json={"domain": "contoso.com", "status": "verified"}), 400, "unknown_field"),
        (admin.post(f"/api/organizations/{org}/domains/unclaimed.example.test/verify"), 404, "not_found"),
        (admin.post(f"/api/organizations/{org}/domains/not_a_domain/verify"), 404, "not_found"),
        (admin.delete(f"/api/organizations/{org}/domains/unclaimed.example.test"), 404, "not_found"),
        (admin.get("/api/organizations/no-such-org-here/domains"), 404, "not_found"),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["error"]) == (status, code), response.text


def test_dns_server_failure_is_503_and_changes_nothing(admin, new_org, dns_zone):
    org = new_org()
    domain = unique_domain()
    _claim(admin, org, domain)
    dns_zone.servfail(f"_entra-sso.{domain}")
    response = admin.post(f"/api/organizations/{org}/domains/{domain}/verify")
    assert response.status_code == 503 and response.json()["error"] == "dns_unavailable"
    assert admin.get(f"/api/organizations/{org}/domains/{domain}").json()["status"] == "pending"


def test_unreachable_dns_resolver_is_503(admin, new_org, dns_zone):
    org = new_org()
    domain = unique_domain()
    _claim(admin, org, domain)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:  # a UDP port on which nothing answers
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        with dns_resolver_setting(f"127.0.0.1:{port}"):
            response = admin.post(f"/api/organizations/{org}/domains/{domain}/verify")
    assert response.status_code == 503 and response.json()["error"] == "dns_unavailable"
    assert [e["error"] for e in _events(admin, org) if e["type"] == "domain.verification_failed"] == ["dns_unavailable"]


def test_an_org_key_sees_only_its_own_domains(admin, new_org, org_key, dns_zone, verified_domain):
    mine, theirs = new_org(), new_org()
    their_domain = verified_domain(theirs)
    client = org_key(mine)
    assert client.post(f"/api/organizations/{mine}/domains", json={"domain": unique_domain()}).status_code == 201
    for response in (
        client.get(f"/api/organizations/{theirs}/domains"),
        client.post(f"/api/organizations/{theirs}/domains", json={"domain": unique_domain()}),
        client.get(f"/api/organizations/{theirs}/domains/{their_domain}"),
        client.post(f"/api/organizations/{theirs}/domains/{their_domain}/verify"),
        client.delete(f"/api/organizations/{theirs}/domains/{their_domain}"),
    ):
        assert response.status_code == 404 and response.json()["error"] == "not_found", response.text
    assert admin.get(f"/api/organizations/{theirs}").json()["verified_domains"] == [their_domain]
    assert len(admin.get(f"/api/organizations/{theirs}/domains").json()["items"]) == 1


def test_domain_owner_names_the_verifying_org(admin, new_org, verified_domain):
    from shared.policy.domains import domain_owner

    org = new_org()
    domain = verified_domain(org)
    assert domain_owner(domain) == org
    assert domain_owner(domain.upper()) == org
    assert domain_owner(unique_domain()) is None
    admin.delete(f"/api/organizations/{org}/domains/{domain}")
    assert domain_owner(domain) is None
