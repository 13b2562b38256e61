"""The /_sim control API: what a test or the demo seeder in another process uses to register
tenants, users and apps known only at runtime, and to inject failures."""

import uuid

import pytest

from tests.simulator.flows import CONTOSO, authorize_params, pkce_pair, redeem, redirect_params, sign_in


@pytest.fixture
def control(sim, http):
    def call(method, path, **kwargs):
        return http.request(method, f"{sim.authority}/_sim{path}", **kwargs)
    return call


def test_a_tenant_added_at_runtime_serves_discovery_by_domain_and_signs_in(sim, http, control):
    tid, domain = str(uuid.uuid4()), f"t{uuid.uuid4().hex[:8]}.example"
    redirect_uri, secret = "https://rp.example/cb", "s3cret"
    created = control("POST", "/tenants", json={
        "id": tid, "name": "Runtime Co", "domains": [domain],
        "users": [{"upn": f"ann@{domain}", "name": "Ann", "email": f"ann@{domain}"}],
        "apps": [{"client_id": str(uuid.uuid4()), "redirect_uris": [redirect_uri],
                  "secrets": [{"value": secret, "expires_on": "2099-01-01"}]}]})
    assert created.status_code == 200, created.text
    view = created.json()
    assert view["issuer"] == f"{sim.authority}/{tid}/v2.0"
    doc = http.get(f"{sim.authority}/{domain}/v2.0/.well-known/openid-configuration").json()
    assert doc["issuer"] == view["issuer"]
    app = {**view["apps"][0], "redirect_uri": redirect_uri, "secret": secret}
    verifier, challenge = pkce_pair()
    code = redirect_params(sign_in(http, sim, tid, authorize_params(app, challenge),
                                   f"ann@{domain}"))["code"]
    assert redeem(http, sim, tid, app, code, verifier).status_code == 200


def test_apps_and_users_are_added_and_changed(sim, http, control):
    client_id = str(uuid.uuid4())
    added = control("POST", f"/tenants/{CONTOSO}/apps",
                    json={"client_id": client_id, "redirect_uris": ["https://a.example/cb"]})
    assert added.json()["redirect_uris"] == ["https://a.example/cb"]
    changed = control("PATCH", f"/apps/{client_id}", json={
        "redirect_uris": ["https://a.example/cb", "https://b.example/cb"],
        "secrets": [{"value": "new", "expires_on": "2030-01-01"}], "groups_claim": True})
    assert changed.status_code == 200
    assert changed.json()["redirect_uris"][1] == "https://b.example/cb"
    assert len(changed.json()["secrets"]) == 1 and changed.json()["groups_claim"] is True
    user = control("POST", "/tenants/contoso.com/users",
                   json={"upn": f"new.{uuid.uuid4().hex[:6]}@contoso.com", "name": "New"})
    assert user.status_code == 200 and uuid.UUID(user.json()["oid"])


def test_errors_are_set_listed_and_cleared(sim, control):
    set_ = control("POST", "/errors", json={"code": "AADSTS50105", "user": "bob.kelly@contoso.com",
                                            "times": 2})
    assert set_.json()["code"] == "AADSTS50105" and set_.json()["times"] == 2
    assert control("GET", "/errors").json()["errors"][0]["user"] == "bob.kelly@contoso.com"
    assert control("POST", "/token-endpoint",
                   json={"fail_status": 503}).json()["token_endpoint"]["failures"] == [503]
    control("DELETE", "/errors")
    assert control("GET", "/errors").json() == {
        "errors": [], "token_endpoint": {"failures": [], "delay_seconds": 0.0}}


@pytest.mark.parametrize("path, body", [
    ("/errors", {"code": "AADSTS1"}),
    ("/errors", {"code": "AADSTS50105", "colour": "red"}),
    ("/tenants", {"id": "not-a-guid", "domains": ["x.example"]}),
    (f"/tenants/{CONTOSO}/users", {"upn": "adele.vance@contoso.com"}),
    ("/tenants/nowhere.example/apps", {}),
])
def test_bad_calls_are_400_with_a_reason(control, path, body):
    response = control("POST", path, json=body)
    assert response.status_code == 400
    assert response.json()["message"]


def test_keys_rotate_over_http(sim, http, control):
    kid = control("POST", "/keys/rotate").json()["kid"]
    keys = http.get(f"{sim.authority}/common/discovery/v2.0/keys").json()["keys"]
    assert keys[0]["kid"] == kid


def test_a_saml_apps_signing_settings_are_changed(sim, control):
    app = control("POST", f"/tenants/{CONTOSO}/saml-apps", json={
        "identifier": f"https://sp-{uuid.uuid4().hex[:6]}.example/saml", "reply_url": "https://sp.example/acs"}).json()
    changed = control("PATCH", f"/saml-apps/{app['app_id']}", json={"sign": "both", "algorithm": "sha1"})
    assert changed.status_code == 200 and (changed.json()["sign"], changed.json()["algorithm"]) == ("both", "sha1")
    assert control("PATCH", f"/saml-apps/{app['app_id']}", json={"sign": "never"}).status_code == 400
    assert control("PATCH", f"/saml-apps/{app['app_id']}", json={"identifier": "x"}).status_code == 400
