"""The portal's other pages without a browser: SAML by metadata URL, pasted XML and file;
domains; sign-in methods; credentials; directory sync. Each change goes through the admin
API's own functions (so its rules hold) and is an event with actor `portal`."""
from __future__ import annotations

import re
import secrets

import requests

from tests.conftest import SECRET_WATCH
from tests.flows.helpers import CONTOSO, create_oidc_connection, create_saml_connection, register_oidc_app
from tests.policy.conftest import dns_zone, unique_domain  # noqa: F401 (the fixture)
from tests.portal.helpers import csrf_token, portal_session


def _metadata_url(stack) -> str:
    return f"{stack.simulator.authority}/{CONTOSO}/federationmetadata/2007-06/federationmetadata.xml"


def _events(admin, org: str) -> list:
    return admin.get(f"/api/organizations/{org}/events").json()["items"]


def _start_saml(client) -> str:
    started = client.submit("/portal/sso/saml", {})
    assert started.status_code == 303, started.text
    return started.headers["Location"]


def test_saml_by_metadata_url_shows_what_was_read(stack, admin, new_org):
    org = new_org()
    client = portal_session(stack, admin, org)
    path = _start_saml(client)
    connection_id = path.rsplit("/", 1)[1]
    page = client.get(path).text
    assert f"{stack.base_url}/auth/sso/saml/{connection_id}/acs" in page and 'id="idp-pending"' in page
    saved = client.submit(path, {"source": "url", "idp_metadata_url": _metadata_url(stack)})
    assert saved.status_code == 200, saved.text
    assert f"https://sts.windows.net/{CONTOSO}/" in saved.text and "/saml2" in saved.text
    assert re.search(r"Thumbprint <code>[0-9A-F]{40}</code>, expires \d{4}-\d\d-\d\d", saved.text)
    connection = admin.get(f"/api/organizations/{org}/connections/{connection_id}").json()
    assert connection["idp_metadata_url"] == _metadata_url(stack)
    updated = next(e for e in _events(admin, org) if e["type"] == "connection.updated")
    assert updated["detail"]["actor"] == "portal"


def test_saml_by_pasted_xml_and_by_file(stack, admin, new_org):
    xml = requests.get(_metadata_url(stack), verify=stack.simulator.ca_bundle, timeout=30).text
    client = portal_session(stack, admin, new_org())
    pasted = _start_saml(client)
    assert client.submit(pasted, {"source": "xml", "idp_metadata_xml": xml}).status_code == 200
    filed = _start_saml(client)
    token = csrf_token(client.get(filed).text)
    response = client.post(filed, data={"csrf_token": token, "source": "xml"}, files={"idp_metadata_file": ("federation.xml", xml.encode())},
                           headers={"Origin": stack.base_url, "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 200 and f"https://sts.windows.net/{CONTOSO}/" in response.text


def test_unusable_saml_metadata_is_refused_and_nothing_saved(stack, admin, new_org):
    org = new_org()
    client = portal_session(stack, admin, org)
    path = _start_saml(client)
    for fields in ({"source": "xml", "idp_metadata_xml": "<not-metadata/>"}, {"source": "url", "idp_metadata_url": "https://10.0.0.1/metadata.xml"},
                   {"source": "url", "idp_metadata_url": ""}):
        response = client.submit(path, fields)
        assert response.status_code == 400 and 'id="form-problem"' in response.text, response.text
    assert admin.get(f"/api/organizations/{org}/connections/{path.rsplit('/', 1)[1]}").json()["idp_entity_id"] is None


def test_domain_verification_shows_what_dns_answered_then_verifies(stack, admin, new_org, dns_zone):  # noqa: F811
    org, domain = new_org(), unique_domain()
    client = portal_session(stack, admin, org, "domain_verification")
    claimed = client.submit("/portal/domains", {"domain": domain})
    assert claimed.status_code == 200 and f"_entra-sso.{domain}" in claimed.text
    value = re.search(r'data-label="TXT record value for [^"]+">([^<]+)</code>', claimed.text).group(1)
    dns_zone.publish(f"_entra-sso.{domain}", "something-else")
    failed = client.submit(f"/portal/domains/{domain}/verify", {}, page_path="/portal/domains")
    assert failed.status_code == 400 and "found &#39;something-else&#39;" in failed.text
    dns_zone.publish(f"_entra-sso.{domain}", value)
    verified = client.submit(f"/portal/domains/{domain}/verify", {}, page_path="/portal/domains")
    assert verified.status_code == 200 and f"{domain} is verified" in verified.text
    assert domain in admin.get(f"/api/organizations/{org}").json()["verified_domains"]
    assert any(e["type"] == "domain.verified" and e["detail"]["actor"] == "portal" for e in _events(admin, org))


def test_a_lock_out_policy_is_refused_inline_and_a_break_glass_email_allows_it(stack, admin, new_org):
    org = new_org()
    client = portal_session(stack, admin, org)
    refused = client.submit("/portal/sign-in-methods", {"sso": "on", "sso_enforcement": "verified_domains", "break_glass_emails": ""})
    assert refused.status_code == 400 and "policy_locks_out" in refused.text and "break_glass_emails" in refused.text
    assert admin.get(f"/api/organizations/{org}").json()["allowed_sign_in_methods"] == ["password", "sso"]
    saved = client.submit("/portal/sign-in-methods", {"sso": "on", "sso_enforcement": "verified_domains", "break_glass_emails": "it@example.com"})
    assert saved.status_code == 200 and "Saved." in saved.text
    stored = admin.get(f"/api/organizations/{org}").json()
    assert stored["allowed_sign_in_methods"] == ["sso"] and stored["break_glass_emails"] == ["it@example.com"]
    assert stored["sso_enforcement"] == "verified_domains"


def test_credentials_rotate_only_a_secret_entra_accepts(stack, admin, new_org):
    org, app = new_org(), register_oidc_app(stack)
    connection = create_oidc_connection(admin, org, app)
    client = portal_session(stack, admin, org, "credentials")
    page = client.get("/portal/credentials")
    assert "client secret, expires 2099-01-01" in page.text and app["secret"] not in page.text
    wrong = "wrong-" + secrets.token_urlsafe(16)
    SECRET_WATCH.remember(wrong)
    refused = client.submit(f"/portal/credentials/{connection['id']}", {"action": "rotate_secret", "client_secret": wrong, "expires_on": "2098-01-01"},
                            page_path="/portal/credentials")
    assert refused.status_code == 400 and "invalid_client_secret" in refused.text and wrong not in refused.text
    new = "new-" + secrets.token_urlsafe(16)
    SECRET_WATCH.remember(new)
    stack.simulator.update_app(app["client_id"], {"secrets": [{"value": new, "expires_on": "2098-01-01"}]})
    rotated = client.submit(f"/portal/credentials/{connection['id']}", {"action": "rotate_secret", "client_secret": new, "expires_on": "2098-01-01"},
                            page_path="/portal/credentials")
    assert rotated.status_code == 200 and "client secret, expires 2098-01-01" in rotated.text and new not in rotated.text
    rolled = client.submit(f"/portal/credentials/{connection['id']}", {"action": "rollback"}, page_path="/portal/credentials")
    assert rolled.status_code == 200 and "client secret, expires 2099-01-01" in rolled.text
    assert any(e["type"] == "connection.secret_rotated" and e["detail"]["actor"] == "portal" for e in _events(admin, org))


def test_a_certificate_is_created_downloaded_and_activated_once_entra_has_it(stack, admin, new_org):
    org, app = new_org(), register_oidc_app(stack)
    connection = create_oidc_connection(admin, org, app)
    client = portal_session(stack, admin, org, "credentials")
    created = client.submit(f"/portal/credentials/{connection['id']}", {"action": "create_certificate"}, page_path="/portal/credentials")
    assert created.status_code == 200 and 'id="new-certificate"' in created.text
    pem = client.get(f"/portal/credentials/{connection['id']}/certificate")
    assert pem.status_code == 200 and pem.text.startswith("-----BEGIN CERTIFICATE-----") and "PRIVATE KEY" not in pem.text
    early = client.submit(f"/portal/credentials/{connection['id']}", {"action": "activate_certificate"}, page_path="/portal/credentials")
    assert early.status_code == 400 and "invalid_client_certificate" in early.text
    stack.simulator.update_app(app["client_id"], {"certificates": [pem.text]})
    activated = client.submit(f"/portal/credentials/{connection['id']}", {"action": "activate_certificate"}, page_path="/portal/credentials")
    assert activated.status_code == 200 and "In use: certificate" in activated.text


def test_saml_signing_certificates_are_listed_with_their_expiry(stack, admin, new_org):
    org = new_org()
    create_saml_connection(stack, admin, org)
    page = portal_session(stack, admin, org, "credentials").get("/portal/credentials").text
    assert re.search(r"Thumbprint <code>[0-9A-F]{40}</code>, expires \d{4}-\d\d-\d\d", page)


def test_another_orgs_connection_is_absent_on_every_page(stack, admin, new_org):
    org, other = new_org(), new_org()
    theirs = create_oidc_connection(admin, other, register_oidc_app(stack))["id"]
    their_saml = create_saml_connection(stack, admin, other)["id"]
    sso = portal_session(stack, admin, org)
    assert sso.get(f"/portal/sso/saml/{their_saml}").status_code == 404
    assert sso.submit(f"/portal/sso/saml/{their_saml}", {"source": "url", "idp_metadata_url": _metadata_url(stack)},
                      page_path="/portal/sso/saml").status_code == 404
    create_oidc_connection(admin, org, register_oidc_app(stack))  # so the credentials page has forms (and their token)
    creds = portal_session(stack, admin, org, "credentials")
    assert creds.get(f"/portal/credentials/{theirs}/certificate").status_code == 404
    assert creds.submit(f"/portal/credentials/{theirs}", {"action": "create_certificate"}, page_path="/portal/credentials").status_code == 404
    assert not any(e["type"].startswith("connection.certificate") for e in _events(admin, other))


def _scim_users(url: str, token: str) -> int:
    return requests.get(f"{url}/Users", params={"filter": 'userName eq "nobody@example.com"'},
                        headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code


def test_directory_sync_creates_a_directory_and_shows_its_token_once(stack, admin, new_org):
    org = new_org()
    client = portal_session(stack, admin, org, "directory_sync")
    empty = client.get("/portal/directory-sync")
    assert empty.status_code == 200 and 'id="no-activity"' in empty.text
    created = client.submit("/portal/directory-sync", {"action": "create", "name": "Contoso"})
    assert created.status_code == 200, created.text
    token = re.search(r'<code class="copy" id="new-token"[^>]*>([^<]+)</code>', created.text).group(1)
    SECRET_WATCH.remember(token)
    [directory] = admin.get(f"/api/organizations/{org}/directories").json()["items"]
    assert directory["scim_base_url_compatible"] in created.text
    assert _scim_users(directory["scim_base_url"], token) == 200  # the token shown is the directory's
    again = client.get("/portal/directory-sync").text
    assert token not in again and 'id="new-token"' not in again  # shown once
    assert "directory.created" in again  # recent activity
    made = next(e for e in admin.get(f"/api/organizations/{org}/events").json()["items"] if e["type"] == "directory.created")
    assert made["detail"]["actor"] == "portal"


def test_directory_sync_new_token_stops_the_old_one(stack, admin, new_org):
    org = new_org()
    client = portal_session(stack, admin, org, "directory_sync")
    first = client.submit("/portal/directory-sync", {"action": "create", "name": "Contoso"}).text
    old = re.search(r'id="new-token"[^>]*>([^<]+)</code>', first).group(1)
    SECRET_WATCH.remember(old)
    [directory] = admin.get(f"/api/organizations/{org}/directories").json()["items"]
    rotated = client.submit("/portal/directory-sync", {"action": "new_token", "directory": directory["id"]})
    new = re.search(r'id="new-token"[^>]*>([^<]+)</code>', rotated.text).group(1)
    SECRET_WATCH.remember(new)
    assert new != old
    assert _scim_users(directory["scim_base_url"], old) == 401 and _scim_users(directory["scim_base_url"], new) == 200


def test_directory_sync_reaches_only_the_links_org(stack, admin, new_org):
    mine, other = new_org(), new_org()
    theirs = admin.post(f"/api/organizations/{other}/directories", json={"name": "Theirs"}).json()
    SECRET_WATCH.remember(theirs["token"])
    client = portal_session(stack, admin, mine, "directory_sync")
    refused = client.submit("/portal/directory-sync", {"action": "new_token", "directory": theirs["id"]})
    assert refused.status_code == 404
    assert _scim_users(theirs["scim_base_url"], theirs["token"]) == 200  # their token still works
