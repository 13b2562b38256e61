"""ID token contents that depend on the app and user: groups and their overage form, guests;
and signing key rotation as Entra does it (publish, sign with the new key, keep the old)."""

import jwt

from tests.simulator.flows import ADELE, BOB, CONTOSO, MEGAN, authorize_params, pkce_pair, redeem, redirect_params, sign_in


def id_token(http, sim, app, user):
    verifier, challenge = pkce_pair()
    code = redirect_params(sign_in(http, sim, CONTOSO, authorize_params(app, challenge),
                                   user))["code"]
    response = redeem(http, sim, CONTOSO, app, code, verifier)
    assert response.status_code == 200, response.text
    return response.json()["id_token"]


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def jwks_kids(sim, http):
    return [k["kid"] for k in http.get(f"{sim.authority}/{CONTOSO}/discovery/v2.0/keys")
            .json()["keys"]]


def test_groups_claim_lists_group_ids(sim, http, new_app):
    claims = claims_of(id_token(http, sim, new_app(groups_claim=True), ADELE))
    assert claims["groups"] == ["41e3dfa5-c474-4931-800c-91df692358d8",
                                "ce8d3245-3844-4831-a979-7914f04d7ee1"]
    assert "_claim_names" not in claims


def test_more_than_200_groups_gives_the_overage_form(sim, http, new_app):
    claims = claims_of(id_token(http, sim, new_app(groups_claim=True), MEGAN))
    assert "groups" not in claims
    assert claims["_claim_names"] == {"groups": "src1"}
    assert claims["_claim_sources"] == {"src1": {"endpoint": (
        f"https://graph.microsoft.com/v1.0/users/{claims['oid']}/getMemberObjects")}}


def test_no_groups_unless_the_app_asks(sim, http, new_app):
    app = new_app()
    for user in (ADELE, MEGAN):
        claims = claims_of(id_token(http, sim, app, user))
        assert "groups" not in claims and "_claim_names" not in claims


def test_guest_is_named_by_home_address_and_its_identity_provider(sim, http, new_app):
    claims = claims_of(id_token(http, sim, new_app(optional_claims=["acct"]),
                                "jane.doe@fabrikam.com"))
    assert claims["preferred_username"] == "jane.doe@fabrikam.com"
    assert claims["acct"] == 1
    assert claims["tid"] == CONTOSO
    assert claims["idp"] == "https://sts.windows.net/2ec7d01f-b28f-4f43-a09e-28545b0a28e9/"


def test_user_without_email_has_only_preferred_username(sim, http, new_app):
    claims = claims_of(id_token(http, sim, new_app(optional_claims=["email", "xms_edov"]), BOB))
    assert claims["preferred_username"] == BOB
    assert "email" not in claims and "xms_edov" not in claims


def test_rotation_publishes_the_new_key_signs_with_it_and_keeps_the_old(sim, http, new_app):
    app = new_app()
    before = id_token(http, sim, app, ADELE)
    old_kid = jwt.get_unverified_header(before)["kid"]
    new_kid = sim.rotate_keys()["kid"]
    after = id_token(http, sim, app, ADELE)
    assert jwt.get_unverified_header(after)["kid"] == new_kid != old_kid
    assert {old_kid, new_kid} <= set(jwks_kids(sim, http))
    assert old_kid in sim.retire_keys()["retired"]
    assert jwks_kids(sim, http) == [new_kid]
