"""Hostile bodies, headers, query strings and path segments to every route function_app registers,
through the dev host on Azurite, with valid keys and without: never a 5xx, and every API error a
JSON body with a stable code from the catalogue.

Seeded and bounded for the suite; FUZZ_EXAMPLES=2000 (and another FUZZ_SEED) for a longer local run."""
from __future__ import annotations

import base64
import json
import os
from urllib.parse import quote, urlencode

import pytest
import requests
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from shared.lifecycle import certificate_credentials, credential_rotation
from shared.orgs import connections, organizations
from shared.platform.errors import CATALOGUE
from shared.policy import invitations
from tests.fuzz.routes import Route, body_methods, http_routes

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
SEED = int(os.environ.get("FUZZ_SEED", "20261201"))  # fixed: the suite sends the same requests every run
ROUTES = http_routes()
FIELDS = sorted(connections.CREATE_FIELDS | organizations.CREATE_FIELDS | invitations.CREATE_FIELDS | credential_rotation.SECRET_FIELDS
                | certificate_credentials.CREATE_FIELDS | certificate_credentials.ACTIVATE_FIELDS
                | {"domain", "code", "region", "organization", "name"}
                | {"schemas", "userName", "externalId", "active", "emails", "members", "displayName", "Operations", "token_expires_on",
                   "grace_period_hours", "sso_required", "idp_id_attribute"})
QUERY_NAMES = ["state", "code", "cursor", "limit", "email", "connection", "organization", "redirect_uri", "login_hint", "prompt",
               "error", "error_description", "session_state", "filter", "startIndex", "count", "attributes", "excludedAttributes", "after", "group"]
# What broke before, and its neighbours: key characters Table Storage forbids, XML markup, cursors of
# the wrong shape, lone surrogates, NUL, huge and non-finite numbers, over-long values.
NASTY = ["a/b.c", "a.b/c.d", "o.\x00.c", "a\\b.c", "a#b.c", "a?b.c", "a\x00b.c", "a\x7fb.c.d", "\ud800", "x.\udfff.y", "Ingi", "e30=", "W10=", "bnVsbA==",
         "eyJQYXJ0aXRpb25LZXkiOiAiYS9iIn0=", '</saml:Issuer><evil/>', 'https://sp.example/"x', "urn:x:\x00", "..", "%", "%2F",
         "\u202e", "\ufeff", "𝕏", "a" * 5000, "-1", "0", "99999999999999999999999", "1e999", "NaN", "conn_aaaaaaaaaaaaaaaaaaaa",
         "inv_" + "0" * 64, "sso_0123456789abcdef_" + "A" * 43, "' or ''='", "true", "null", "[]", "{}"]

# States and codes are dot-separated keys; cursors are base64 JSON: build hostile ones of each shape.
dotted = st.lists(st.sampled_from(["org", "a/b", "/", "x#", "?", "\\", "\x00", "\ud800", "\x85", "abc", "conn_aaaaaaaaaaaaaaaaaaaa", ""]),
                  min_size=2, max_size=3).map(".".join)
base_text = st.one_of(st.sampled_from(NASTY), dotted, dotted, st.text(max_size=40), st.text(st.characters(codec="ascii"), max_size=12))
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), base_text)
json_value = st.recursive(json_scalar, lambda children: st.lists(children, max_size=4) | st.dictionaries(base_text, children, max_size=4), max_leaves=12)
cursorish = st.builds(lambda v: base64.urlsafe_b64encode(json.dumps(v).encode("utf-8", "surrogatepass")).decode(), json_value)
text = base_text | cursorish
field_value = text | json_value


def _raw_json(body) -> bytes:
    # ensure_ascii keeps a lone surrogate as the escape "\ud800", as a hostile client sends it
    return json.dumps(body, ensure_ascii=True).encode()


DEEP = b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}"
bodies = st.one_of(
    st.builds(lambda d: ("application/json", _raw_json(d)), st.dictionaries(st.sampled_from(FIELDS), json_value, max_size=5)),
    st.builds(lambda d: ("application/json", _raw_json(d)), json_value),
    st.builds(lambda d: ("application/x-www-form-urlencoded", urlencode(d).encode()),
              st.dictionaries(st.sampled_from(QUERY_NAMES + ["SAMLResponse", "RelayState"]), st.text(max_size=60), max_size=4)),
    st.tuples(st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", "", "application/json; charset=utf-16"]),
              st.sampled_from([DEEP, b'{"code": "\\ud800"}', b'{"code": NaN}', b"\xff\xfe{}", b"{" * 100, b'{"a":1}' * 3, b"",
                               b'{"sp_entity_id": "' + b"1" * 5000 + b'"}', b'{"limit": 1' + b"0" * 5000 + b"}"])),
)


def _form(fields: dict[str, str]) -> bytes:
    return urlencode({name: value.encode("utf-8", "surrogatepass") for name, value in fields.items()}).encode()


def _query(pairs: list[tuple[str, str]]) -> str:
    return urlencode([(name, value.encode("utf-8", "surrogatepass")) for name, value in pairs])


queries = st.one_of(
    st.fixed_dictionaries({}, optional={name: text for name in QUERY_NAMES}).map(lambda d: _query(list(d.items()))),
    st.sampled_from(["state=%FF%FE.%C0%AF", "cursor=%ED%A0%80", "limit=9" * 3 + "9" * 400, "email=a%00@contoso.com",
                     "connection=conn_aaaaaaaaaaaaaaaaaaaa&connection=x", "%zz=%zz"]),
)


def _segment(value: str) -> str:
    """A path segment as sent; "." and ".." are encoded, or the client would resolve them away."""
    encoded = quote(value.encode("utf-8", "surrogatepass"), safe="") or "x"
    return encoded.replace(".", "%2E") if not encoded.strip(".") else encoded


@st.composite
def requests_for(draw, route: Route, targets):
    method = draw(st.sampled_from(route.methods))
    values = {}
    for name in route.params:
        # DELETE only with hostile ids: deleting the fuzz's own records is not hostile input
        real = [] if method == "DELETE" else targets.ids[name]
        value = draw(st.sampled_from(real) | text) if real else draw(text)
        values[name] = value if value in real else _segment(value)
    headers = {"Accept": draw(st.sampled_from(["application/json", "text/html", "*/*", ""]))}
    callers = ["scim", "scim", "scim", "wrong", "none"] if route.template.startswith("scim/") else ["global", "org", "global", "org", "wrong", "none"]
    key = targets.keys[draw(st.sampled_from(callers))]
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if draw(st.booleans()):
        headers["If-Match"] = draw(st.sampled_from(['W/"x"', "*", "", "\u00ff" * 3]))
    body = b""
    if method in body_methods(route):
        own = targets.fields.get(route.template) or FIELDS
        content_type, body = draw(st.builds(lambda d: ("application/json", _raw_json(d)), st.dictionaries(st.sampled_from(own), field_value, min_size=1, max_size=4))
                                  | st.builds(lambda d: ("application/x-www-form-urlencoded", _form(d)), st.dictionaries(st.sampled_from(own), text, min_size=1, max_size=3))
                                  | bodies)
        if content_type:
            headers["Content-Type"] = content_type
    return method, route.path(values), draw(queries), headers, body


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.template} {'/'.join(r.methods)}" for r in ROUTES])
def test_no_route_answers_5xx_to_hostile_input(stack, targets, route):
    session = requests.Session()
    session.trust_env = False

    @seed(SEED)
    @settings(max_examples=EXAMPLES, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
    @given(requests_for(route, targets))
    def fuzz(request):
        method, path, query, headers, body = request
        url = stack.base_url + path + (f"?{query}" if query else "")
        response = session.request(method, url, headers=headers, data=body, allow_redirects=False, timeout=60)
        assert response.status_code < 500, (method, url, headers, body[:300], response.status_code, response.text[:300])
        if response.status_code >= 400 and (route.is_api or response.headers.get("Content-Type", "").startswith("application/json")):
            error = response.json()
            assert isinstance(error, dict) and error.get("error") in CATALOGUE, (method, url, response.text[:300])

    fuzz()
