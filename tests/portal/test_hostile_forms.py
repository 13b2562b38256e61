"""Hostile bodies to every portal form with a live session and its valid CSRF token (the route
fuzz has no session, so it only reaches the refusal): never a 5xx, never a traceback."""
from __future__ import annotations

import pytest

from tests.flows.helpers import create_oidc_connection, register_oidc_app
from tests.portal.helpers import csrf_token, portal_session

FORMS = {  # path -> the intent whose session may post it
    "/portal/sso/oidc": "sso", "/portal/sso/saml": "sso", "/portal/sso/saml/{saml}": "sso", "/portal/sign-in-methods": "sso",
    "/portal/connections/{oidc}/test": "sso", "/portal/domains": "domain_verification", "/portal/domains/a.example.test/verify": "domain_verification",
    "/portal/credentials/{oidc}": "credentials",
    "/portal/sso/oidc/{oidc}": "sso", "/portal/sso/oidc/{pending}": "sso", "/portal/sso/one-click": "sso",
}
BODIES = [
    ("application/x-www-form-urlencoded", "{token}&a=%ff%fe&b=\x00"),
    ("application/x-www-form-urlencoded", "{token}&csrf_token=again"),
    ("application/x-www-form-urlencoded", "{token}&" + "&".join(f"f{i}=1" for i in range(40))),
    ("application/x-www-form-urlencoded", "{token}&entra_tenant_id=" + "9" * 5000 + "&client_id=%00&client_secret=x&client_secret_expires_on=9999-99-99"),
    ("application/x-www-form-urlencoded", "{token}&source=url&idp_metadata_url=file:///etc/passwd&domain=..&action=rollback"),
    ("application/x-www-form-urlencoded", "{token}&action=new_certificate&credential=certificate&entra_tenant_id=%00&client_id=x&replace=conn_" + "a" * 20),
    ("application/x-www-form-urlencoded", "{token}&action=activate&replace=../../x&credential=pfx"),
    ("application/x-www-form-urlencoded", "{token}&sso_enforcement=everyone&password=yes&break_glass_emails=%0a%0a@@"),
    ("multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{raw}\r\n--XX\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XX--"),
    ("multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"idp_metadata_file\"\r\n\r\n\xff\xfe\r\n--XX--"),
    ("multipart/form-data", "no boundary at all"),
    ("application/json", '{"csrf_token": "{raw}"}'),
    ("text/plain", "{token}"),
]


@pytest.fixture(scope="module")
def sessions(stack):
    from tests.conftest import ApiClient
    admin = ApiClient(stack.base_url, stack.bootstrap_key)
    import secrets
    org = "hostile-" + secrets.token_hex(4)
    assert admin.post("/api/organizations", json={"id": org, "name": "Hostile", "redirect_uris": ["https://app.example.com/callback"]}).status_code == 201
    oidc = create_oidc_connection(admin, org, register_oidc_app(stack))["id"]
    saml = admin.post(f"/api/organizations/{org}/connections", json={"protocol": "saml"}).json()["id"]
    app = register_oidc_app(stack)
    pending = admin.post(f"/api/organizations/{org}/connections", json={"protocol": "oidc", "entra_tenant_id": app["tenant"],
                                                                        "client_id": app["client_id"], "credential_type": "certificate"}).json()["id"]
    clients = {intent: portal_session(stack, admin, org, intent) for intent in ("sso", "domain_verification", "credentials")}
    tokens = {intent: csrf_token(client.get({"sso": "/portal/sso/oidc", "domain_verification": "/portal/domains",
                                              "credentials": "/portal/credentials"}[intent]).text) for intent, client in clients.items()}
    return clients, tokens, {"oidc": oidc, "saml": saml, "pending": pending}


@pytest.mark.parametrize("path", FORMS)
def test_no_portal_form_answers_5xx_to_hostile_bodies(stack, sessions, path):
    clients, tokens, ids = sessions
    intent = FORMS[path]
    for content_type, template in BODIES:
        raw = tokens[intent]
        body = template.replace("{token}", f"csrf_token={raw}").replace("{raw}", raw)
        response = clients[intent].post(path.format(**ids), data=body.encode("utf-8", "surrogateescape"),
                                        headers={"Content-Type": content_type, "Origin": stack.base_url})
        assert response.status_code < 500, (content_type, template[:60], response.status_code, response.text[:300])
        assert "Traceback" not in response.text
