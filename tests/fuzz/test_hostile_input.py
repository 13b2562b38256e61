"""The hostile input issue 10 found, each as a request through the dev host on Azurite: a clear
4xx with a stable code, never a 5xx (defects 3, 4, 5; the fuzz in test_fuzz_routes.py hunts for
more of the same class)."""
from __future__ import annotations

import base64
import json
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree

from shared.platform import validation
from tests.conftest import ApiClient
from tests.fuzz.routes import body_methods, http_routes

INJECTION = 'https://sp.example/x</saml:Issuer><evil xmlns="urn:evil"/><saml:Issuer>y'
DEEP = b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}"


def _error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]


def _post_raw(client, path: str, body: bytes, method: str = "POST"):
    return client.request(method, path, data=body, headers={"Content-Type": "application/json"})


# ------------------------------------------------------------------ defect 3: sp_entity_id

@pytest.mark.parametrize("entity_id", [INJECTION, 'https://sp.example/"', "https://sp.example/\x00", "urn:x: y", "not a uri", "ftp://sp.example/"])
def test_sp_entity_id_must_be_an_absolute_uri(admin, targets, entity_id):
    org, saml = targets.ids["org"][0], targets.ids["connection"][1]
    patched = admin.patch(f"/api/organizations/{org}/connections/{saml}", json={"sp_entity_id": entity_id})
    assert _error(patched) == (400, "invalid_field") and "sp_entity_id" in patched.json()["error_description"]
    created = admin.post(f"/api/organizations/{org}/connections", json={"protocol": "saml", "sp_entity_id": entity_id})
    assert _error(created) == (400, "invalid_field")
    assert admin.get(f"/auth/sso/saml/{saml}/metadata").status_code == 200


def test_xml_special_characters_in_a_valid_entity_id_stay_text(stack, admin, anonymous, targets):
    """`&` and `'` are URI characters: accepted, and escaped by the serializer in both documents."""
    org, saml = targets.ids["org"][0], targets.ids["connection"][1]
    entity_id = "urn:fuzz:a&b'c=" + targets.ids["domain"][0]
    before = admin.get(f"/api/organizations/{org}/connections/{saml}").json()["sp_entity_id"]
    assert admin.patch(f"/api/organizations/{org}/connections/{saml}", json={"sp_entity_id": entity_id}).status_code == 200
    try:
        metadata = anonymous.get(f"/auth/sso/saml/{saml}/metadata")
        assert metadata.status_code == 200 and etree.fromstring(metadata.content).get("entityID") == entity_id
        started = anonymous.get("/auth/sso/start", params={"connection": saml, "redirect_uri": "https://app.example.com/callback"})
        assert started.status_code == 302, started.text[:300]
        saml_request = parse_qs(urlsplit(started.headers["Location"]).query)["SAMLRequest"][0]
        request = etree.fromstring(zlib.decompress(base64.b64decode(saml_request), -15))
        assert request.findtext("{urn:oasis:names:tc:SAML:2.0:assertion}Issuer") == entity_id
    finally:
        admin.patch(f"/api/organizations/{org}/connections/{saml}", json={"sp_entity_id": before})


# ------------------------------------------------------------------ defect 4: values that become keys

@pytest.mark.parametrize("state", ["a/b.c", "a\\b.c", "a#b.c", "a?b.c", "a\x01b.c", "org.\x7f", "a" * 200 + "." + "b" * 99])
def test_a_malformed_state_is_invalid_state(anonymous, state):
    response = anonymous.get("/auth/sso/microsoft/callback", params={"state": state, "code": "x"}, headers={"Accept": "application/json"})
    assert _error(response) == (400, "invalid_state")


@pytest.mark.parametrize("code", ["a/b.c.d", "org.lo/gin.secret", "org.login.\x00", "a#.b.c", "org.?.c"])
def test_a_malformed_code_is_invalid_grant(admin, code):
    assert _error(admin.post("/api/sso/token", json={"code": code})) == (400, "invalid_grant")
    assert _error(admin.post("/api/sso/token", data={"code": code})) == (400, "invalid_grant")


def test_a_malformed_relay_state_is_not_a_storage_outage(anonymous, targets):
    saml = targets.ids["connection"][1]
    response = anonymous.post(f"/auth/sso/saml/{saml}/acs", data={"SAMLResponse": "eA==", "RelayState": "a/b.c"},
                              headers={"Accept": "application/json"})
    assert 400 <= response.status_code < 500 and response.json()["error"] != "storage_unavailable"


# ------------------------------------------------------------------ defect 5: input that gave 500

def _cursor(token) -> str:
    return base64.urlsafe_b64encode(json.dumps(token).encode()).decode()


@pytest.mark.parametrize("cursor", ["Ingi", _cursor([]), _cursor(None), _cursor(7), _cursor({"PartitionKey": "a/b", "RowKey": "x"}),
                                    _cursor({"Other": "x"}), _cursor({"PartitionKey": {"x": 1}}), "%%%", "A" * 5000])
@pytest.mark.parametrize("listing", ["events", "domains", "invitations"])
def test_a_cursor_of_the_wrong_shape_is_invalid_request(admin, targets, listing, cursor):
    response = admin.get(f"/api/organizations/{targets.ids['org'][0]}/{listing}", params={"cursor": cursor})
    assert _error(response) == (400, "invalid_request")


def test_a_cursor_this_api_returned_still_pages(admin, targets):
    org = targets.ids["org"][0]
    first = admin.get(f"/api/organizations/{org}/events", params={"limit": 1}).json()
    assert first["next"]
    assert admin.get(f"/api/organizations/{org}/events", params={"limit": 1, "cursor": first["next"]}).status_code == 200


NO_BODY = {"api/organizations/{org}/connections/{connection}/test", "api/organizations/{org}/domains/{domain}/verify"}  # read no body
JSON_ROUTES = [(route, method) for route in http_routes() for method in body_methods(route) if route.is_api and route.template not in NO_BODY]


@pytest.mark.parametrize("route,method", JSON_ROUTES, ids=[f"{m} {r.template}" for r, m in JSON_ROUTES])
def test_deeply_nested_json_is_invalid_json_on_every_json_route(admin, targets, route, method):
    path = route.path({name: values[-1] for name, values in targets.ids.items()})
    assert _error(_post_raw(admin, path, DEEP, method)) == (400, "invalid_json")


@pytest.mark.parametrize("path,field", [("/api/sso/token", "code"), ("/api/organizations/{org}/connections/{oidc}/secret", "client_secret"),
                                        ("/api/organizations/{org}/connections/{saml}", "sp_entity_id"),
                                        ("/api/organizations/{org}/invitations", "email")])
def test_a_lone_surrogate_is_invalid_json(admin, targets, path, field):
    path = path.format(org=targets.ids["org"][0], oidc=targets.ids["connection"][0], saml=targets.ids["connection"][1])
    method = "PATCH" if field == "sp_entity_id" else "POST"
    body = ('{"%s": "a\\ud800b", "expires_on": "2099-01-01"}' % field if "secret" in path else '{"%s": "\\ud800@x.example.com"}' % field)
    assert _error(_post_raw(admin, path, body.encode(), method)) == (400, "invalid_json")


@pytest.mark.parametrize("body", [b'{"code": NaN}', b'{"code": 1e999}', b'{"code": Infinity}'])
def test_non_finite_numbers_are_invalid_json(admin, body):
    assert _error(_post_raw(admin, "/api/sso/token", body)) == (400, "invalid_json")


def test_org_key_sees_the_same_refusals(stack, targets):
    client = ApiClient(stack.base_url, targets.keys["org"])
    assert _error(client.post("/api/sso/token", json={"code": "a/b.c.d"})) == (400, "invalid_grant")
    assert _error(_post_raw(client, "/api/sso/token", DEEP)) == (400, "invalid_json")


@pytest.mark.parametrize("saml_response", ["\x80", "é" * 8, "PD94bWw/Pg==\u00a0"])
def test_a_non_ascii_saml_response_is_saml_malformed(anonymous, targets, saml_response):
    """Found by the fuzz: base64 of a non-ASCII string raises a plain ValueError, which gave a 500."""
    response = anonymous.post(f"/auth/sso/saml/{targets.ids['connection'][1]}/acs", data={"SAMLResponse": saml_response},
                              headers={"Accept": "application/json"})
    assert _error(response) == (400, "saml_malformed")


def test_id_patterns_refuse_a_trailing_newline():
    """`$` matches before a final newline; the id patterns end with \\Z, so "<org>\\n" (a key
    with a control character, which Table Storage refuses) is not an org slug."""
    for pattern, good in ((validation.SLUG, "contoso"), (validation.CONNECTION_ID, "conn_" + "a" * 20)):
        assert pattern.match(good) and not pattern.match(good + "\n")
