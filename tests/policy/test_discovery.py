"""Home realm discovery: GET /auth/sso/discover and the `email` form of a sign-in start."""
from __future__ import annotations

from tests.policy.conftest import unique_domain


def _discover(anonymous, email):
    response = anonymous.get("/auth/sso/discover", params={"email": email})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_verified_domain_routes_to_its_orgs_enabled_connection(anonymous, new_org, connection, verified_domain):
    org = new_org()
    conn = connection(org)
    domain = verified_domain(org)
    assert _discover(anonymous, f"Ada.Lovelace@{domain.upper()}") == {"method": "sso", "organization": org, "connection": conn}

    from shared.policy.domains import route_email

    routed = route_email(f"ada@{domain}")
    assert (routed.organization, routed.connection) == (org, conn)


def test_the_sign_in_start_routes_an_email_the_same_way(new_org, connection, verified_domain):
    from shared.signin.targets import resolve_target

    org = new_org()
    conn = connection(org)
    domain = verified_domain(org)
    target = resolve_target({"email": f"grace@{domain}"})
    assert target.organization.id == org and target.connection.id == conn


def test_unknown_and_unverified_domains_answer_password_and_reveal_nothing_about_users(admin, anonymous, new_org, connection):
    org = new_org()
    connection(org)
    pending = unique_domain()
    assert admin.post(f"/api/organizations/{org}/domains", json={"domain": pending}).status_code == 201  # claimed, never verified
    answers = [anonymous.get("/auth/sso/discover", params={"email": email})
               for email in (f"someone@{unique_domain()}", f"nobody-ever@{unique_domain()}", f"ada@{pending}", "ada@gmail.com")]
    assert all(r.status_code == 200 for r in answers)
    assert {r.text for r in answers} == {'{"method": "password"}'}


def test_no_enabled_connection_or_sso_not_allowed_answers_password(admin, anonymous, new_org, connection, verified_domain):
    disabled_only = new_org()
    connection(disabled_only, enabled=False)
    domain = verified_domain(disabled_only)
    assert _discover(anonymous, f"ada@{domain}") == {"method": "password"}

    password_only = new_org(allowed_sign_in_methods=["password"])
    connection(password_only)
    domain = verified_domain(password_only)
    assert _discover(anonymous, f"ada@{domain}") == {"method": "password"}


def test_an_org_with_several_connections_routes_each_domain_to_the_one_that_serves_it(admin, anonymous, new_org, connection, verified_domain):
    org = new_org()
    first_domain, second_domain, third_domain = verified_domain(org), verified_domain(org), verified_domain(org)
    default = connection(org, domains=[first_domain])
    second = connection(org, domains=[second_domain])
    connection(org, domains=[unique_domain()])  # lists a domain the org never verified: never used
    assert admin.patch(f"/api/organizations/{org}", json={"default_connection": default}).status_code == 200

    assert _discover(anonymous, f"a@{first_domain}")["connection"] == default
    assert _discover(anonymous, f"a@{second_domain}")["connection"] == second
    assert _discover(anonymous, f"a@{third_domain}")["connection"] == default  # nobody lists it: the default


def test_an_unlisted_domain_with_several_connections_and_no_default_answers_password(anonymous, new_org, connection, verified_domain):
    org = new_org()
    listed, unlisted = verified_domain(org), verified_domain(org)
    serving = connection(org, domains=[listed])
    connection(org)
    assert _discover(anonymous, f"a@{listed}")["connection"] == serving
    assert _discover(anonymous, f"a@{unlisted}") == {"method": "password"}


def test_a_removed_domain_stops_routing(admin, anonymous, new_org, connection, verified_domain):
    org = new_org()
    connection(org)
    domain = verified_domain(org)
    assert _discover(anonymous, f"a@{domain}")["method"] == "sso"
    assert admin.delete(f"/api/organizations/{org}/domains/{domain}").status_code == 204
    assert _discover(anonymous, f"a@{domain}") == {"method": "password"}


def test_a_malformed_email_is_a_clear_400(anonymous):
    for params in ({}, {"email": ""}, {"email": "not-an-email"}, {"email": "a@b@c"}):
        response = anonymous.get("/auth/sso/discover", params=params)
        assert response.status_code == 400 and response.json()["error"] == "invalid_request", response.text


def test_only_the_orgs_own_verified_domains_route_even_if_an_ownership_row_says_otherwise(anonymous, new_org, connection):
    """The org record's `verified_domains` is the truth; an ownership row alone (a verify that
    stopped half-way) routes nothing and vouches for nothing."""
    from shared.orgs import organizations
    from shared.policy.domains import OWNER_ROW, TABLE, domain_owner
    from shared.storage import tables

    org = new_org()
    connection(org)
    domain = unique_domain()
    tables.insert(TABLE, domain, OWNER_ROW, {"domain": domain, "organization": org, "org_created": organizations.get(org).doc.created})
    assert _discover(anonymous, f"a@{domain}") == {"method": "password"}
    assert domain_owner(domain) is None
