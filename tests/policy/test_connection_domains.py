"""A connection's `domains` lists only its org's verified domains, and an org's
`default_connection` names only one of its own connections; both through the dev host."""
from __future__ import annotations

import concurrent.futures
import threading

from tests.conftest import ApiClient
from tests.flows.helpers import create_saml_connection
from tests.policy.conftest import unique_domain


def _connection(stack, admin, org: str) -> tuple[dict, str]:
    connection = create_saml_connection(stack, admin, org)
    return connection, f"/api/organizations/{org}/connections/{connection['id']}"


def test_only_verified_domains_can_be_listed(stack, admin, new_org, verified_domain):
    org = new_org()
    connection, url = _connection(stack, admin, org)
    verified = verified_domain(org)
    assert admin.patch(url, json={"domains": [verified]}).json()["domains"] == [verified]
    assert admin.get(url).json()["domains"] == [verified]


def test_a_pending_claim_is_refused_with_how_to_verify_it(stack, admin, new_org, verified_domain):
    org = new_org()
    connection, url = _connection(stack, admin, org)
    verified, pending = verified_domain(org), unique_domain()
    claim = admin.post(f"/api/organizations/{org}/domains", json={"domain": pending}).json()
    refused = admin.patch(url, json={"domains": [verified, pending]})
    assert (refused.status_code, refused.json()["error"]) == (400, "domain_unverified"), refused.text
    message = refused.json()["error_description"]
    assert pending in message and claim["txt_record"]["name"] in message and claim["txt_record"]["value"] in message
    assert f"/domains/{pending}/verify" in message
    assert admin.get(url).json()["domains"] == []


def test_a_domain_verified_by_another_org_is_refused(stack, admin, new_org, verified_domain):
    org, other = new_org(), new_org()
    theirs = verified_domain(other)
    admin.post(f"/api/organizations/{org}/domains", json={"domain": theirs})  # a claim of ours cannot be verified
    connection, url = _connection(stack, admin, org)
    refused = admin.patch(url, json={"domains": [theirs]})
    assert (refused.status_code, refused.json()["error"]) == (400, "domain_unverified"), refused.text
    assert theirs in refused.json()["error_description"] and "another organization" in refused.json()["error_description"]
    assert other not in refused.json()["error_description"]  # who owns it is not ours to know
    assert admin.get(url).json()["domains"] == []


def test_an_unclaimed_domain_is_refused_at_create_too(stack, admin, new_org, dns_zone):
    org = new_org()
    domain = unique_domain()
    body = {"protocol": "saml", "domains": [domain],
            "idp_metadata_url": f"{stack.simulator.authority}/contoso.com/federationmetadata/2007-06/federationmetadata.xml"}
    refused = admin.post(f"/api/organizations/{org}/connections", json=body)
    assert (refused.status_code, refused.json()["error"]) == (400, "domain_unverified"), refused.text
    assert f"POST /api/organizations/{org}/domains" in refused.json()["error_description"]
    assert admin.get(f"/api/organizations/{org}/connections").json()["items"] == []


def test_deleting_a_domain_claim_takes_it_off_the_connections(stack, admin, new_org, verified_domain):
    org = new_org()
    first, url_first = _connection(stack, admin, org)
    second, url_second = _connection(stack, admin, org)
    kept, removed = verified_domain(org), verified_domain(org)
    assert admin.patch(url_first, json={"domains": [kept, removed]}).status_code == 200
    assert admin.patch(url_second, json={"domains": [removed]}).status_code == 200
    assert admin.delete(f"/api/organizations/{org}/domains/{removed}").status_code == 204
    assert admin.get(url_first).json()["domains"] == [kept]
    assert admin.get(url_second).json()["domains"] == []


def test_default_connection_must_be_one_of_the_orgs_own(stack, admin, new_org):
    org, other = new_org(), new_org()
    mine, _ = _connection(stack, admin, org)
    theirs, _ = _connection(stack, admin, other)
    for wanted in ("conn_" + "a" * 20, theirs["id"]):
        refused = admin.patch(f"/api/organizations/{org}", json={"default_connection": wanted})
        assert (refused.status_code, refused.json()["error"]) == (400, "invalid_field"), refused.text
        assert "default_connection" in refused.json()["error_description"] and wanted in refused.json()["error_description"]
    assert admin.get(f"/api/organizations/{org}").json()["default_connection"] is None
    assert admin.patch(f"/api/organizations/{org}", json={"default_connection": mine["id"]}).json()["default_connection"] == mine["id"]
    assert admin.patch(f"/api/organizations/{org}", json={"default_connection": None}).json()["default_connection"] is None


def test_a_new_org_cannot_name_a_default_connection(stack, admin, new_org):
    other = new_org()
    theirs, _ = _connection(stack, admin, other)
    refused = admin.post("/api/organizations", json={"id": "org-default-x", "name": "x", "redirect_uris": ["https://app.example.com/cb"],
                                                     "default_connection": theirs["id"]})
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_field"), refused.text
    assert admin.get("/api/organizations/org-default-x").status_code == 404


def test_deleting_the_default_connection_unsets_it(stack, admin, new_org):
    org = new_org()
    kept, _ = _connection(stack, admin, org)
    default, url = _connection(stack, admin, org)
    assert admin.patch(f"/api/organizations/{org}", json={"default_connection": default["id"]}).status_code == 200
    assert admin.delete(url).status_code == 204
    assert admin.get(f"/api/organizations/{org}").json()["default_connection"] is None
    assert admin.patch(f"/api/organizations/{org}", json={"default_connection": kept["id"]}).status_code == 200


RACERS = 20


def test_a_claim_deleted_while_connections_are_patched_never_stays_listed(stack, admin, new_org, verified_domain):
    """19 PATCHes listing a verified domain race its claim's deletion (a barrier, through the dev
    host): whichever order storage sees, the connection ends without the domain, and nothing 5xx."""
    for _ in range(3):
        org = new_org()
        connection, url = _connection(stack, admin, org)
        domain = verified_domain(org)
        barrier = threading.Barrier(RACERS)

        def connected() -> ApiClient:
            """One client per thread (a Session is not thread-safe), its keep-alive connection
            opened before the barrier, so the racers' requests arrive together, not their accepts."""
            client = ApiClient(stack.base_url, stack.bootstrap_key)
            assert client.get("/api/health").status_code == 200
            return client

        def patch():
            client = connected()
            barrier.wait()
            return client.patch(url, json={"domains": [domain]})

        def remove():
            client = connected()
            barrier.wait()
            return client.delete(f"/api/organizations/{org}/domains/{domain}")

        with concurrent.futures.ThreadPoolExecutor(RACERS) as pool:
            futures = [pool.submit(remove)] + [pool.submit(patch) for _ in range(RACERS - 1)]
            answers = [f.result() for f in futures]
        assert answers[0].status_code == 204, answers[0].text
        assert all(a.status_code < 500 for a in answers), [a.status_code for a in answers]
        assert {a.status_code for a in answers[1:]} <= {200, 400, 409}
        assert admin.get(url).json()["domains"] == []
        assert domain not in admin.get(f"/api/organizations/{org}").json()["verified_domains"]


def _lose_the_claim_right_after_the_check(stack, monkeypatch, org: str, domain: str) -> None:
    """The next domain check passes, then the claim is deleted by a whole request through the dev host."""
    from shared.policy import domains

    checked = domains.refuse_unverified

    def check_then_lose_the_claim(org_doc, wanted):
        checked(org_doc, wanted)
        monkeypatch.setattr(domains, "refuse_unverified", checked)
        assert ApiClient(stack.base_url, stack.bootstrap_key).delete(f"/api/organizations/{org}/domains/{domain}").status_code == 204

    monkeypatch.setattr(domains, "refuse_unverified", check_then_lose_the_claim)


def test_a_claim_deleted_between_the_check_and_the_write_is_not_left_listed(stack, admin, new_org, verified_domain, monkeypatch):
    """The interleaving the race test may not hit, forced: the claim is deleted (a whole request
    through the dev host) right after the PATCH checked the domain and before it writes."""

    org = new_org()
    connection, url = _connection(stack, admin, org)
    domain = verified_domain(org)
    _lose_the_claim_right_after_the_check(stack, monkeypatch, org, domain)
    answer = admin.patch(url, json={"domains": [domain]})
    assert answer.status_code == 200 and answer.json()["domains"] == [], answer.text
    assert admin.get(url).json()["domains"] == []


def test_a_claim_deleted_while_a_connection_is_created_is_not_left_listed(stack, admin, new_org, verified_domain, monkeypatch):

    org = new_org()
    domain = verified_domain(org)
    _lose_the_claim_right_after_the_check(stack, monkeypatch, org, domain)
    metadata_url = f"{stack.simulator.authority}/contoso.com/federationmetadata/2007-06/federationmetadata.xml"
    created = admin.post(f"/api/organizations/{org}/connections", json={"protocol": "saml", "idp_metadata_url": metadata_url, "domains": [domain]})
    assert created.status_code == 201 and created.json()["domains"] == [], created.text
    assert [c["domains"] for c in admin.get(f"/api/organizations/{org}/connections").json()["items"]] == [[]]
