"""OIDC with a certificate as the FIRST credential, from the portal: the tenant and redirect URI
are checked before anything is made, the certificate downloads as .cer and .pem, Activate runs
the live checks and saves only when Entra accepts the certificate (an unknown one is refused
with Entra's AADSTS700027 and the upload steps), and its forms take no cross-site post."""
from __future__ import annotations

import base64
import re
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from tests.flows.helpers import register_oidc_app
from tests.lifecycle.helpers import events_of, record
from tests.portal.helpers import csrf_token, portal_session


def _check(page: str, name: str) -> str:
    return re.search(rf'<li class="check (\w+)" data-check="{name}">', page).group(1)


def _start(client, app: dict, **changes):
    return client.submit("/portal/sso/oidc", {"display_name": "Contoso (certificate)", "entra_tenant_id": app["tenant"],
                                             "client_id": app["client_id"], "credential": "certificate", **changes})


def _connections(admin, org: str) -> list:
    return admin.get(f"/api/organizations/{org}/connections").json()["items"]


def test_use_a_certificate_makes_a_pending_connection_and_its_certificate(stack, admin, new_org):
    org, app = new_org(), register_oidc_app(stack, secrets=[])
    client = portal_session(stack, admin, org)
    started = _start(client, app)
    assert started.status_code == 303, started.text
    path = started.headers["Location"]
    [connection] = _connections(admin, org)
    assert path == f"/portal/sso/oidc/{connection['id']}"
    assert connection["status"] == "pending" and connection["pending_certificate"] and connection["certificate"] is None
    page = client.get(path).text
    thumbprint = connection["pending_certificate"]["thumbprint"]
    assert thumbprint in page and "Certificates &amp; secrets → Certificates → Upload certificate" in page

    cer = client.get(f"/portal/credentials/{connection['id']}/certificate", params={"format": "cer"})
    pem = client.get(f"/portal/credentials/{connection['id']}/certificate", params={"format": "pem"})
    assert cer.headers["Content-Disposition"].endswith(f'filename="{connection["id"]}.cer"')
    assert pem.headers["Content-Disposition"].endswith(f'filename="{connection["id"]}.pem"')
    from_cer, from_pem = x509.load_der_x509_certificate(cer.content), x509.load_pem_x509_certificate(pem.content)
    assert from_cer == from_pem and from_cer.fingerprint(hashes.SHA1()).hex().upper() == thumbprint
    assert b"PRIVATE" not in cer.content + pem.content
    assert client.get(f"/portal/credentials/{connection['id']}/certificate", params={"format": "pfx"}).status_code == 400
    for event in ("connection.created", "connection.certificate_created"):
        assert events_of(admin, org, event)[0]["detail"]["actor"] == "portal"


def test_an_unknown_tenant_or_unregistered_redirect_uri_makes_nothing(stack, admin, new_org):
    org = new_org()
    client = portal_session(stack, admin, org)
    refused = _start(client, register_oidc_app(stack), entra_tenant_id=str(uuid.uuid4()))
    assert refused.status_code == 400 and _check(refused.text, "tenant") == "fail" and _check(refused.text, "redirect_uri") == "skipped"
    elsewhere = register_oidc_app(stack, redirect_uris=["https://elsewhere.example.com/cb"])
    refused = _start(client, elsewhere)
    assert refused.status_code == 400 and _check(refused.text, "redirect_uri") == "fail" and "redirect_uri_mismatch" in refused.text
    missing = _start(client, elsewhere, client_id="")
    assert missing.status_code == 400 and "Fill in client id" in missing.text
    assert _connections(admin, org) == []


def test_activate_refuses_a_certificate_entra_does_not_know_then_saves_it_once_uploaded(stack, admin, new_org):
    org, app = new_org(), register_oidc_app(stack, secrets=[])
    client = portal_session(stack, admin, org)
    path = _start(client, app).headers["Location"]
    connection_id = path.rsplit("/", 1)[1]
    thumbprint = record(connection_id)["pending_certificate"]["thumbprint"]
    before = record(connection_id)

    refused = client.submit(path, {"action": "activate"})
    assert refused.status_code == 400
    assert [_check(refused.text, n) for n in ("tenant", "redirect_uri", "certificate")] == ["ok", "ok", "fail"]
    failed = re.search(r'data-check="certificate">(.*?)</li>', refused.text, re.S).group(1)
    assert "AADSTS700027" in failed and "invalid_client_certificate" in failed
    assert "Certificates &amp; secrets → Certificates → Upload certificate" in failed and thumbprint in failed
    assert record(connection_id) == before  # nothing saved
    assert events_of(admin, org, "connection.certificate_activation_refused")[0]["detail"]["actor"] == "portal"

    cer = client.get(f"/portal/credentials/{connection_id}/certificate", params={"format": "cer"}).content
    stack.simulator.update_app(app["client_id"], {"certificates": [base64.b64encode(cer).decode()]})  # uploaded in Entra
    activated = client.submit(path, {"action": "activate"})
    assert activated.status_code == 200, activated.text
    assert 'id="saved"' in activated.text and _check(activated.text, "certificate") == "ok"
    view = admin.get(f"/api/organizations/{org}/connections/{connection_id}").json()
    assert view["status"] == "active" and view["certificate"]["thumbprint"] == thumbprint
    assert events_of(admin, org, "connection.certificate_activated")[0]["detail"]["actor"] == "portal"


def test_the_certificate_forms_refuse_cross_site_posts_and_a_missing_token(stack, admin, new_org):
    org, app = new_org(), register_oidc_app(stack, secrets=[])
    client = portal_session(stack, admin, org)
    token = csrf_token(client.get("/portal/sso/oidc").text)
    fields = {"entra_tenant_id": app["tenant"], "client_id": app["client_id"], "credential": "certificate"}
    for headers, body in (({"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, {"csrf_token": token, **fields}),
                          ({"Origin": stack.base_url, "Sec-Fetch-Site": "same-site"}, {"csrf_token": token, **fields}),
                          ({"Origin": stack.base_url, "Sec-Fetch-Site": "same-origin"}, fields),
                          ({"Origin": stack.base_url, "Sec-Fetch-Site": "same-origin"}, {**fields, "csrf_token": "guess"})):
        refused = client.post("/portal/sso/oidc", data=body, headers=headers)
        assert refused.status_code == 403 and "portal_form_refused" in refused.text, (headers, body.keys())
    assert _connections(admin, org) == []

    path = _start(client, app).headers["Location"]
    before = record(path.rsplit("/", 1)[1])
    for headers, body in (({"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, {"csrf_token": token, "action": "new_certificate"}),
                          ({"Origin": stack.base_url, "Sec-Fetch-Site": "same-origin"}, {"action": "new_certificate"})):
        refused = client.post(path, data=body, headers=headers)
        assert refused.status_code == 403 and "portal_form_refused" in refused.text
    assert record(path.rsplit("/", 1)[1]) == before


def test_another_orgs_connection_is_as_absent_as_an_unknown_one(stack, admin, new_org):
    app = register_oidc_app(stack, secrets=[])
    theirs = portal_session(stack, admin, new_org())
    path = _start(theirs, app).headers["Location"]
    mine = portal_session(stack, admin, new_org())
    assert mine.get(path).status_code == 404
    assert mine.submit(path, {"action": "activate"}, page_path="/portal/sso/oidc").status_code == 404
    assert mine.get(path.replace("/portal/sso/oidc/", "/portal/credentials/") + "/certificate", params={"format": "cer"}).status_code == 404
