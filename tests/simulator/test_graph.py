"""Microsoft Graph's membership endpoints check the token's permissions as Graph does: a user's
own memberships need User.Read (or higher) in `scp`; another user's need an application
permission (`roles`) that the tenant's admin granted by consenting; paging follows nextLink."""

import uuid

from tests.simulator.flows import CONTOSO, MEGAN, authorize_params, pkce_pair, redeem, redirect_params, sign_in


def _delegated(http, sim, app) -> dict:
    verifier, challenge = pkce_pair()
    code = redirect_params(sign_in(http, sim, CONTOSO, authorize_params(app, challenge), MEGAN))["code"]
    answer = redeem(http, sim, CONTOSO, app, code, verifier)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _app_token(http, sim, app, tenant: str = CONTOSO) -> str:
    answer = http.post(f"{sim.authority}/{tenant}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": app["secret"],
        "scope": "https://graph.microsoft.com/.default"})
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def _members(http, sim, token: str, who: str = "me", **params):
    return http.get(f"{sim.authority}/v1.0/{who}/transitiveMemberOf/microsoft.graph.group",
                    params={"$select": "id", **params}, headers={"Authorization": f"Bearer {token}"})


def _all_pages(http, sim, token: str, who: str) -> list[str]:
    groups, answer = [], _members(http, sim, token, who, **{"$top": "100"})
    while True:
        assert answer.status_code == 200, answer.text
        groups += [g["id"] for g in answer.json()["value"]]
        link = answer.json().get("@odata.nextLink")
        if not link:
            return groups
        answer = http.get(link, headers={"Authorization": f"Bearer {token}"})


def test_a_delegated_token_lists_the_users_own_groups_across_pages(sim, http, new_app):
    answer = _delegated(http, sim, new_app(groups_claim=True))
    assert answer["scope"].split() == ["openid", "profile", "email", "https://graph.microsoft.com/User.Read"]
    megan = next(u for u in sim.directory.tenant(CONTOSO).users.values() if u.upn.startswith("megan"))
    assert _all_pages(http, sim, answer["access_token"], "me") == megan.groups and len(megan.groups) > 200


def test_a_token_without_a_membership_permission_is_refused(sim, http, new_app):
    answer = _delegated(http, sim, new_app(delegated_permissions=[]))
    assert answer["scope"] == "openid profile email"
    refused = _members(http, sim, answer["access_token"])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "Authorization_RequestDenied"
    oid = next(iter(sim.directory.tenant(CONTOSO).users))
    assert _members(http, sim, _delegated(http, sim, new_app())["access_token"], f"users/{oid}").status_code == 403  # User.Read: own only


def test_an_app_token_reads_a_user_only_with_an_admin_granted_application_permission(sim, http, new_app):
    tenant = str(uuid.uuid4())
    sim.add_tenant({"id": tenant, "name": "Roles", "domains": [f"r-{tenant[:8]}.example"],
                    "users": [{"upn": f"u@r-{tenant[:8]}.example", "name": "U", "extra_group_count": 3}]})
    oid = next(iter(sim.directory.tenant(tenant).users))
    app = new_app(sign_in_audience="AzureADMultipleOrgs", consent_required=True, application_permissions=["GroupMember.Read.All"])
    sim.grant_consent(app["client_id"], tenant, admin=False)  # a user's own consent: delegated only
    refused = _members(http, sim, _app_token(http, sim, app, tenant), f"users/{oid}")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "Authorization_RequestDenied"
    sim.grant_consent(app["client_id"], tenant)  # the admin's
    assert len(_members(http, sim, _app_token(http, sim, app, tenant), f"users/{oid}").json()["value"]) == 3
    assert _members(http, sim, _app_token(http, sim, app, tenant)).status_code == 400  # /me needs a user
    sim.revoke_consent(app["client_id"], tenant, application_only=True)
    assert _members(http, sim, _app_token(http, sim, app, tenant), f"users/{oid}").status_code == 403
