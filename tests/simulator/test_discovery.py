"""Discovery and keys: the documents Entra serves, field for field."""

import pytest

from tests.simulator.flows import CONTOSO


def test_tenant_configuration_names_the_tenant_guid_even_when_asked_by_domain(sim, http):
    for ref in (CONTOSO, "contoso.com", "CONTOSO.onmicrosoft.com"):
        doc = http.get(f"{sim.authority}/{ref}/v2.0/.well-known/openid-configuration").json()
        base = f"{sim.authority}/{CONTOSO}"
        assert doc["issuer"] == f"{base}/v2.0"
        assert doc["jwks_uri"] == f"{base}/discovery/v2.0/keys"
        assert doc["authorization_endpoint"] == f"{base}/oauth2/v2.0/authorize"
        assert doc["token_endpoint"] == f"{base}/oauth2/v2.0/token"
        assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
        assert doc["subject_types_supported"] == ["pairwise"]
        assert doc["token_endpoint_auth_methods_supported"] == [
            "client_secret_post", "private_key_jwt", "client_secret_basic"]
        assert doc["tenant_region_scope"] == "NA"


@pytest.mark.parametrize("authority", ["organizations", "common"])
def test_multi_tenant_configuration_has_the_tenantid_template(sim, http, authority):
    doc = http.get(f"{sim.authority}/{authority}/v2.0/.well-known/openid-configuration").json()
    assert doc["issuer"] == f"{sim.authority}/{{tenantid}}/v2.0"
    assert doc["jwks_uri"] == f"{sim.authority}/{authority}/discovery/v2.0/keys"
    assert doc["token_endpoint"] == f"{sim.authority}/{authority}/oauth2/v2.0/token"
    assert doc["tenant_region_scope"] is None
    keys = http.get(doc["jwks_uri"]).json()["keys"]
    assert {k["issuer"] for k in keys} == {f"{sim.authority}/{{tenantid}}/v2.0"}


def test_unknown_tenant_is_entras_aadsts90002_json(sim, http):
    response = http.get(f"{sim.authority}/nowhere.example/v2.0/.well-known/openid-configuration",
                        headers={"client-request-id": "corr-1"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_tenant"
    assert body["error_codes"] == [90002]
    assert body["error_description"].startswith("AADSTS90002: Tenant 'nowhere.example' not found.")
    assert body["correlation_id"] == "corr-1"
    assert {"timestamp", "trace_id", "error_uri"} <= set(body)


def test_jwks_has_entras_key_fields(sim, http):
    keys = http.get(f"{sim.authority}/{CONTOSO}/discovery/v2.0/keys").json()["keys"]
    assert keys
    for key in keys:
        assert set(key) == {"kty", "use", "kid", "x5t", "n", "e", "x5c", "issuer"}
        assert key["kty"] == "RSA" and key["use"] == "sig" and key["e"] == "AQAB"
        assert key["kid"] == key["x5t"]
        assert key["issuer"] == f"{sim.authority}/{CONTOSO}/v2.0"
