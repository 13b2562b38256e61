"""GET /api/organizations/{org}/sign-in-policy?email=, each enforcement mode, break-glass, and
the refusal of a policy that leaves the organization with no way in."""
from __future__ import annotations

from tests.policy.conftest import unique_domain

ADMIN = "it-admin@backup.example.test"


def _policy(admin, org, email):
    response = admin.get(f"/api/organizations/{org}/sign-in-policy", params={"email": email})
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"password_allowed", "sso_required", "connection"}
    return response.json()


def test_no_enforcement_offers_both(admin, new_org, connection, verified_domain):
    org = new_org()
    conn = connection(org)
    domain = verified_domain(org)
    assert _policy(admin, org, f"ada@{domain}") == {"password_allowed": True, "sso_required": False, "connection": conn}
    assert _policy(admin, org, "ada@elsewhere.example.test") == {"password_allowed": True, "sso_required": False, "connection": conn}


def test_no_connection_and_sso_not_allowed_name_no_connection(admin, new_org, connection):
    assert _policy(admin, new_org(), "ada@contoso.example.test") == {"password_allowed": True, "sso_required": False, "connection": None}
    password_only = new_org(allowed_sign_in_methods=["password"])
    connection(password_only)
    assert _policy(admin, password_only, "ada@contoso.example.test")["connection"] is None


def test_verified_domains_mode_requires_sso_on_the_orgs_domains_only(admin, new_org, connection, verified_domain):
    org = new_org(sso_enforcement="verified_domains", break_glass_emails=[ADMIN])
    conn = connection(org)
    domain = verified_domain(org)
    assert _policy(admin, org, f"Ada@{domain}") == {"password_allowed": False, "sso_required": True, "connection": conn}
    assert _policy(admin, org, "contractor@freelance.example.test") == {"password_allowed": True, "sso_required": False, "connection": conn}
    assert _policy(admin, org, f"ada@sub.{domain}")["sso_required"] is False  # exact match: a subdomain is another domain


def test_verified_domains_mode_routes_to_the_connection_serving_the_domain(admin, new_org, connection, verified_domain):
    org = new_org(sso_enforcement="verified_domains", break_glass_emails=[ADMIN])
    first, second = verified_domain(org), verified_domain(org)
    connection(org, domains=[first])
    serving_second = connection(org, domains=[second])
    assert _policy(admin, org, f"ada@{second}")["connection"] == serving_second


def test_listed_users_mode_requires_sso_for_the_listed_emails_only(admin, new_org, connection, verified_domain):
    org = new_org(sso_enforcement="listed_users", sso_required_emails=["ceo@corp.example.test"])
    conn = connection(org)
    assert _policy(admin, org, "CEO@corp.example.test") == {"password_allowed": False, "sso_required": True, "connection": conn}
    assert _policy(admin, org, "intern@corp.example.test") == {"password_allowed": True, "sso_required": False, "connection": conn}


def test_password_not_allowed_requires_sso_for_everyone_but_break_glass(admin, new_org, connection):
    org = new_org(allowed_sign_in_methods=["sso"], break_glass_emails=[ADMIN])
    conn = connection(org)
    assert _policy(admin, org, "anyone@corp.example.test") == {"password_allowed": False, "sso_required": True, "connection": conn}
    assert _policy(admin, org, ADMIN.upper()) == {"password_allowed": True, "sso_required": False, "connection": conn}


def test_break_glass_keeps_password_in_every_mode(admin, new_org, connection, verified_domain):
    org = new_org(sso_enforcement="verified_domains", break_glass_emails=[ADMIN])
    connection(org)
    domain = verified_domain(org)
    on_domain_admin = f"root@{domain}"
    assert admin.patch(f"/api/organizations/{org}", json={"break_glass_emails": [ADMIN, on_domain_admin]}).status_code == 200
    assert _policy(admin, org, on_domain_admin)["password_allowed"] is True
    assert _policy(admin, org, on_domain_admin)["sso_required"] is False
    patched = admin.patch(f"/api/organizations/{org}", json={"sso_enforcement": "listed_users", "sso_required_emails": [on_domain_admin]})
    assert patched.status_code == 200, patched.text
    assert _policy(admin, org, on_domain_admin) ["password_allowed"] is True


def test_bad_email_and_other_orgs_are_refused(admin, new_org, org_key):
    mine, theirs = new_org(), new_org()
    for params in ({}, {"email": "nope"}):
        response = admin.get(f"/api/organizations/{mine}/sign-in-policy", params=params)
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    client = org_key(mine)
    assert client.get(f"/api/organizations/{mine}/sign-in-policy", params={"email": "a@b.example.test"}).status_code == 200
    other = client.get(f"/api/organizations/{theirs}/sign-in-policy", params={"email": "a@b.example.test"})
    assert other.status_code == 404 and other.json()["error"] == "not_found"


# ---------------------------------------------------------------- the lock-out rule

def _create(admin, **fields):
    slug = "lock-" + unique_domain("x").split(".")[0]
    return slug, admin.post("/api/organizations", json={"id": slug, "name": "x", "redirect_uris": ["https://app.example.com/cb"], **fields})


def test_sso_for_everyone_without_break_glass_is_refused_at_create(admin):
    for fields in ({"allowed_sign_in_methods": ["sso"]},
                   {"sso_enforcement": "verified_domains"},
                   {"allowed_sign_in_methods": ["sso"], "sso_enforcement": "listed_users", "break_glass_emails": []},
                   {"allowed_sign_in_methods": ["password"], "sso_enforcement": "listed_users"}):
        slug, response = _create(admin, **fields)
        assert response.status_code == 400 and response.json()["error"] == "policy_locks_out", (fields, response.text)
        assert "break_glass_emails" in response.json()["error_description"] or "`sso`" in response.json()["error_description"]
        assert admin.get(f"/api/organizations/{slug}").status_code == 404


def test_policies_that_leave_a_way_in_are_accepted(admin):
    for fields in ({"allowed_sign_in_methods": ["sso"], "break_glass_emails": [ADMIN]},
                   {"sso_enforcement": "verified_domains", "break_glass_emails": [ADMIN]},
                   {"sso_enforcement": "listed_users", "sso_required_emails": ["ceo@corp.example.test"]},
                   {"allowed_sign_in_methods": ["password"]}):
        _, response = _create(admin, **fields)
        assert response.status_code == 201, (fields, response.text)


def test_a_patch_that_locks_the_org_out_is_refused_and_changes_nothing(admin, new_org):
    org = new_org(allowed_sign_in_methods=["sso"], break_glass_emails=[ADMIN])
    before = admin.get(f"/api/organizations/{org}").json()
    for change in ({"break_glass_emails": []}, {"allowed_sign_in_methods": ["sso"], "break_glass_emails": []}):
        response = admin.patch(f"/api/organizations/{org}", json=change)
        assert response.status_code == 400 and response.json()["error"] == "policy_locks_out", response.text
    assert admin.get(f"/api/organizations/{org}").json() == before

    open_org = new_org()
    refused = admin.patch(f"/api/organizations/{open_org}", json={"sso_enforcement": "verified_domains"})
    assert refused.status_code == 400 and refused.json()["error"] == "policy_locks_out"
    allowed = admin.patch(f"/api/organizations/{open_org}", json={"sso_enforcement": "verified_domains", "break_glass_emails": [ADMIN]})
    assert allowed.status_code == 200, allowed.text
    assert admin.patch(f"/api/organizations/{open_org}", json={"name": "renamed"}).status_code == 200
