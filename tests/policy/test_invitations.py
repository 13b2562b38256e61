"""Invitations, and admission of SSO sign-ins in `invite_only` and `jit` organizations."""
from __future__ import annotations

import pytest

from shared.platform.errors import SsoError


def _org(admin, slug):
    from shared.orgs import organizations

    return organizations.get(slug).doc


def _profile(email, verified=True):
    return {"id": "user_x", "email": email, "email_verified": verified, "idp_id": "oid", "entra_tenant_id": "t"}


def test_invite_list_get_and_revoke(admin, new_org):
    org = new_org(provisioning="invite_only")
    created = admin.post(f"/api/organizations/{org}/invitations", json={"email": "Ada@Corp.example.test"})
    assert created.status_code == 201, created.text
    invitation = created.json()
    assert set(invitation) == {"id", "email", "created"} and invitation["email"] == "ada@corp.example.test"
    assert invitation["id"].startswith("inv_")
    again = admin.post(f"/api/organizations/{org}/invitations", json={"email": "ada@corp.example.test"})
    assert again.status_code == 200 and again.json() == invitation
    admin.post(f"/api/organizations/{org}/invitations", json={"email": "grace@corp.example.test"})

    listed = admin.get(f"/api/organizations/{org}/invitations").json()
    assert sorted(i["email"] for i in listed["items"]) == ["ada@corp.example.test", "grace@corp.example.test"] and listed["next"] is None
    first = admin.get(f"/api/organizations/{org}/invitations", params={"limit": 1}).json()
    assert len(first["items"]) == 1 and first["next"]
    assert admin.get(f"/api/organizations/{org}/invitations/{invitation['id']}").json() == invitation

    assert admin.delete(f"/api/organizations/{org}/invitations/{invitation['id']}").status_code == 204
    assert admin.get(f"/api/organizations/{org}/invitations/{invitation['id']}").status_code == 404
    types = [e["type"] for e in admin.get(f"/api/organizations/{org}/events").json()["items"]]
    assert "invitation.created" in types and "invitation.revoked" in types


def test_bad_invitations_get_stable_codes(admin, new_org):
    org = new_org()
    cases = [
        (admin.post(f"/api/organizations/{org}/invitations", json={}), 400, "missing_field"),
        (admin.post(f"/api/organizations/{org}/invitations", json={"email": "nope"}), 400, "invalid_field"),
        (admin.post(f"/api/organizations/{org}/invitations", json={"email": "a@b.example.test", "role": "admin"}), 400, "unknown_field"),
        (admin.delete(f"/api/organizations/{org}/invitations/inv_nothing"), 404, "not_found"),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["error"]) == (status, code), response.text


def test_invite_only_admits_a_verified_invited_email(admin, new_org):
    from shared.policy.sign_in_policy import admit

    slug = new_org(provisioning="invite_only")
    admin.post(f"/api/organizations/{slug}/invitations", json={"email": "ada@corp.example.test"})
    admit(_org(admin, slug), {"id": "conn_x"}, _profile("Ada@Corp.example.test"))  # no exception: admitted


def test_invite_only_refuses_an_email_not_invited(admin, new_org):
    from shared.policy.sign_in_policy import admit

    slug = new_org(provisioning="invite_only")
    admin.post(f"/api/organizations/{slug}/invitations", json={"email": "ada@corp.example.test"})
    with pytest.raises(SsoError) as refused:
        admit(_org(admin, slug), {"id": "conn_x"}, _profile("mallory@corp.example.test"))
    assert refused.value.code == "user_not_invited" and refused.value.status == 400


def test_invite_only_refuses_an_invited_email_that_is_not_verified(admin, new_org):
    from shared.policy.sign_in_policy import admit

    slug = new_org(provisioning="invite_only")
    admin.post(f"/api/organizations/{slug}/invitations", json={"email": "ada@corp.example.test"})
    for profile in (_profile("ada@corp.example.test", verified=False), _profile("ada@corp.example.test", verified="true"),
                    _profile(None, verified=True)):
        with pytest.raises(SsoError) as refused:
            admit(_org(admin, slug), {"id": "conn_x"}, profile)
        assert refused.value.code == "user_not_invited"


def test_a_revoked_invitation_no_longer_admits(admin, new_org):
    from shared.policy.sign_in_policy import admit

    slug = new_org(provisioning="invite_only")
    invitation = admin.post(f"/api/organizations/{slug}/invitations", json={"email": "ada@corp.example.test"}).json()
    admin.delete(f"/api/organizations/{slug}/invitations/{invitation['id']}")
    with pytest.raises(SsoError):
        admit(_org(admin, slug), {"id": "conn_x"}, _profile("ada@corp.example.test"))


def test_an_invitation_of_another_org_does_not_admit(admin, new_org):
    from shared.policy.sign_in_policy import admit

    inviting, other = new_org(provisioning="invite_only"), new_org(provisioning="invite_only")
    admin.post(f"/api/organizations/{inviting}/invitations", json={"email": "ada@corp.example.test"})
    with pytest.raises(SsoError):
        admit(_org(admin, other), {"id": "conn_x"}, _profile("ada@corp.example.test"))


def test_jit_admits_anyone_the_connection_signs_in(admin, new_org):
    from shared.policy.sign_in_policy import admit

    slug = new_org()
    assert _org(admin, slug).provisioning == "jit"
    admit(_org(admin, slug), {"id": "conn_x"}, _profile("anyone@corp.example.test", verified=False))


def test_an_org_key_sees_only_its_own_invitations(admin, new_org, org_key):
    mine, theirs = new_org(), new_org()
    invitation = admin.post(f"/api/organizations/{theirs}/invitations", json={"email": "ada@corp.example.test"}).json()
    client = org_key(mine)
    assert client.post(f"/api/organizations/{mine}/invitations", json={"email": "b@corp.example.test"}).status_code == 201
    for response in (client.get(f"/api/organizations/{theirs}/invitations"),
                     client.post(f"/api/organizations/{theirs}/invitations", json={"email": "x@corp.example.test"}),
                     client.get(f"/api/organizations/{theirs}/invitations/{invitation['id']}"),
                     client.delete(f"/api/organizations/{theirs}/invitations/{invitation['id']}")):
        assert response.status_code == 404 and response.json()["error"] == "not_found", response.text
    assert len(admin.get(f"/api/organizations/{theirs}/invitations").json()["items"]) == 1


def test_a_new_org_under_a_deleted_orgs_slug_inherits_no_invitations(admin, new_org):
    import time

    from shared.policy.sign_in_policy import admit

    slug = new_org(provisioning="invite_only")
    admin.post(f"/api/organizations/{slug}/invitations", json={"email": "ada@corp.example.test"})
    assert admin.delete(f"/api/organizations/{slug}").status_code == 204
    time.sleep(1.1)  # invitations carry the org's `created` (second resolution)
    new_org(id=slug, provisioning="invite_only")
    assert admin.get(f"/api/organizations/{slug}/invitations").json()["items"] == []
    with pytest.raises(SsoError):
        admit(_org(admin, slug), {"id": "conn_x"}, _profile("ada@corp.example.test"))
