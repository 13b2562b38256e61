"""The OIDC setup form: each live check, nothing saved on a failure, the secret never shown
back, CSRF and cross-site posts refused, and only the session's org reachable."""
from __future__ import annotations

import secrets
import uuid

import pytest

from tests.conftest import SECRET_WATCH
from tests.flows.helpers import CONTOSO, create_oidc_connection, register_oidc_app
from tests.portal.helpers import csrf_token, portal_session


def _form(app: dict, **changes) -> dict:
    return {"display_name": "Contoso", "entra_tenant_id": app["tenant"], "client_id": app["client_id"],
            "client_secret": app["secret"], "client_secret_expires_on": "2099-01-01", **changes}


def _connections(admin, org: str) -> list:
    return admin.get(f"/api/organizations/{org}/connections").json()["items"]


def _check(page: str, name: str) -> str:
    """The class of one check's list item: ok, fail or skipped."""
    import re
    return re.search(rf'<li class="check (\w+)" data-check="{name}">', page).group(1)


def test_the_steps_show_this_stamps_redirect_uri(stack, admin, new_org):
    page = portal_session(stack, admin, new_org()).get("/portal/sso/oidc").text
    assert f'id="redirect-uri" data-label="redirect URI">{stack.base_url}/auth/sso/microsoft/callback</code>' in page
    assert "xms_edov" in page and "openid profile email" in page


def test_a_wrong_secret_is_refused_with_entras_reason_and_nothing_is_saved(stack, admin, new_org):
    org, app = new_org(), register_oidc_app(stack)
    client = portal_session(stack, admin, org)
    wrong = "wrong-" + secrets.token_urlsafe(16)
    SECRET_WATCH.remember(wrong)
    response = client.submit("/portal/sso/oidc", _form(app, client_secret=wrong))
    assert response.status_code == 400
    assert _check(response.text, "tenant") == "ok" and _check(response.text, "credential") == "fail"
    assert _check(response.text, "redirect_uri") == "ok"
    assert "invalid_client_secret" in response.text and "Value (not its Secret ID)" in response.text
    assert wrong not in response.text and app["client_id"] in response.text  # the form keeps all but the secret
    assert _connections(admin, org) == []


def test_an_unknown_tenant_is_refused_and_the_rest_not_tried(stack, admin, new_org):
    org, app = new_org(), register_oidc_app(stack)
    response = portal_session(stack, admin, org).submit("/portal/sso/oidc", _form(app, entra_tenant_id=str(uuid.uuid4())))
    assert response.status_code == 400 and _check(response.text, "tenant") == "fail" and _check(response.text, "credential") == "skipped"
    assert "tenant_not_found" in response.text and _connections(admin, org) == []


def test_an_unregistered_redirect_uri_is_refused_with_the_uri_to_add(stack, admin, new_org):
    org = new_org()
    app = register_oidc_app(stack, redirect_uris=["https://elsewhere.example.com/cb"])
    response = portal_session(stack, admin, org).submit("/portal/sso/oidc", _form(app))
    assert response.status_code == 400 and _check(response.text, "redirect_uri") == "fail"
    assert "AADSTS50011" in response.text and f"{stack.base_url}/auth/sso/microsoft/callback" in response.text
    assert _connections(admin, org) == []


def test_an_unknown_client_id_is_refused(stack, admin, new_org):
    org, app = new_org(), register_oidc_app(stack)
    response = portal_session(stack, admin, org).submit("/portal/sso/oidc", _form(app, client_id=str(uuid.uuid4())))
    assert response.status_code == 400 and _check(response.text, "credential") == "fail" and "AADSTS700016" in response.text
    assert _connections(admin, org) == []


def test_the_right_values_save_the_connection_as_a_portal_event(stack, admin, new_org):
    org, app = new_org(), register_oidc_app(stack)
    response = portal_session(stack, admin, org).submit("/portal/sso/oidc", _form(app))
    assert response.status_code == 200, response.text
    assert all(_check(response.text, name) == "ok" for name in ("tenant", "credential", "redirect_uri"))
    assert app["secret"] not in response.text
    [connection] = _connections(admin, org)
    assert connection["client_id"] == app["client_id"] and connection["entra_tenant_id"] == CONTOSO
    created = next(e for e in admin.get(f"/api/organizations/{org}/events").json()["items"] if e["type"] == "connection.created")
    assert created["detail"]["actor"] == "portal"


def test_a_form_without_its_csrf_token_is_refused(stack, admin, new_org):
    org, app = new_org(), register_oidc_app(stack)
    client = portal_session(stack, admin, org)
    for token in (None, "", "x" * 43):
        fields = _form(app) if token is None else {**_form(app), "csrf_token": token}
        response = client.post("/portal/sso/oidc", data=fields, headers={"Origin": stack.base_url})
        assert response.status_code == 403 and "portal_form_refused" in response.text
    assert _connections(admin, org) == []
    refused = [e for e in admin.get(f"/api/organizations/{org}/events").json()["items"] if e["type"] == "request.refused"]
    assert len(refused) == 3 and all(e["error"] == "portal_form_refused" and e["detail"]["actor"] == "portal" for e in refused)


def test_the_csrf_token_of_another_session_is_refused(stack, admin, new_org):
    org, app = new_org(), register_oidc_app(stack)
    other = portal_session(stack, admin, org)
    token = csrf_token(other.get("/portal/sso/oidc").text)
    client = portal_session(stack, admin, org)
    response = client.post("/portal/sso/oidc", data={**_form(app), "csrf_token": token}, headers={"Origin": stack.base_url})
    assert response.status_code == 403 and _connections(admin, org) == []


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example.net"}, {"Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "same-site"}, {"Origin": "null", "Sec-Fetch-Site": "cross-site"}])
def test_a_cross_site_post_is_refused_even_with_the_token(stack, admin, new_org, headers):
    org, app = new_org(), register_oidc_app(stack)
    client = portal_session(stack, admin, org)
    response = client.submit("/portal/sso/oidc", _form(app), headers=headers)
    assert response.status_code == 403 and "portal_form_refused" in response.text
    assert _connections(admin, org) == []


def test_another_orgs_connection_cannot_be_reached(stack, admin, new_org):
    org, other = new_org(), new_org()
    theirs = create_oidc_connection(admin, other, register_oidc_app(stack))
    client = portal_session(stack, admin, org)
    response = client.submit(f"/portal/connections/{theirs['id']}/test", {}, page_path="/portal/sso/oidc")
    assert response.status_code == 404 and "not_found" in response.text and other not in response.text
    events = admin.get(f"/api/organizations/{other}/events").json()["items"]
    assert not any(e["type"].startswith("connection.test") for e in events)


def test_a_test_sign_in_of_the_orgs_connection_goes_to_entra(stack, admin, new_org):
    org = new_org()
    mine = create_oidc_connection(admin, org, register_oidc_app(stack))
    client = portal_session(stack, admin, org)
    response = client.submit(f"/portal/connections/{mine['id']}/test", {}, page_path="/portal/sso")
    assert response.status_code == 303 and response.headers["Location"].startswith(stack.simulator.authority)


def test_the_second_tenant_scripts_dev_prints_connects_through_the_portal(stack, admin, new_org):
    """scripts/dev registers an app in the simulator's Fabrikam and prints its values for the
    portal (local/demo.py second_tenant_app): those values connect it, with every check ok."""
    from local.demo import FABRIKAM, second_tenant_app

    fabrikam = second_tenant_app(base_url=stack.base_url, bootstrap_key=stack.bootstrap_key, sim_authority=stack.simulator.authority,
                                 sim_ca_bundle=stack.simulator.ca_bundle)
    SECRET_WATCH.remember(fabrikam.client_secret)
    org = new_org()
    app = {"tenant": fabrikam.tenant_id, "client_id": fabrikam.client_id, "secret": fabrikam.client_secret}
    response = portal_session(stack, admin, org).submit("/portal/sso/oidc", _form(app, display_name="Fabrikam"))
    assert response.status_code == 200, response.text
    assert all(_check(response.text, name) == "ok" for name in ("tenant", "credential", "redirect_uri"))
    [connection] = _connections(admin, org)
    assert connection["entra_tenant_id"] == FABRIKAM["id"] == fabrikam.tenant_id
