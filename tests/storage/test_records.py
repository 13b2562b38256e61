"""The typed records read and write their stored JSON exactly: nothing added, nothing lost."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.orgs.records import Connection, Organization

ORG = {
    "id": "contoso", "name": "Contoso", "redirect_uris": ["https://app.example/cb"], "allowed_sign_in_methods": ["password", "sso"],
    "default_connection": None, "sso_enforcement": "none", "sso_required_emails": [], "break_glass_emails": [], "provisioning": "jit",
    "notification_webhook_url": None, "groups_overage_unavailable": "sign_in", "region": "westeurope", "verified_domains": ["contoso.com"], "created": "2026-01-01T00:00:00Z",
    "updated": "2026-01-02T00:00:00Z", "notification_webhook_secret_version": None, "activity_guarded": True,
}
OIDC = {
    "id": "conn_aaaaaaaaaaaaaaaaaaaa", "organization": "contoso", "protocol": "oidc", "display_name": "OIDC", "enabled": True, "domains": [],
    "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z", "scopes": "openid profile email", "allowed_tenant_ids": [],
    "credential_type": "certificate", "entra_tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47", "client_id": "00000000-0000-0000-0000-000000000001",
    "client_secret_expires_on": "2099-01-01", "client_secret_version": "v1",
    "certificate_credential": {"thumbprint": "AB", "certificate_pem": "PEM", "key_version": "k2", "expires_on": "2099-01-01",
                               "activated": "2026-01-01T00:00:00Z"},
    "previous_credential": {"type": "secret", "version": "v1", "expires_on": "2099-01-01", "replaced_at": "2026-01-01T00:00:00Z"},
    "test_failure": {"at": "2026-01-01T00:00:00Z", "message": "client_credentials: refused", "checks": ["client_credentials"]},
}
SAML_PENDING = {
    "id": "conn_bbbbbbbbbbbbbbbbbbbb", "organization": "contoso", "protocol": "saml", "display_name": "SAML", "enabled": True, "domains": [],
    "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z", "sp_entity_id": "https://sso.example/auth/sso/saml/conn_b",
    "attribute_mapping": {"email": "mail"}, "allow_idp_initiated": False, "sign_authn_requests": True, "idp_metadata_url": None,
    "idp_entity_id": None, "idp_sso_url": None, "idp_certificates": [], "last_error": "metadata unreachable",
    "sp_signing": {"key_version": "k", "certificate_pem": "PEM", "thumbprint": "CD", "expires_on": "2029-01-01"},
}


@pytest.mark.parametrize("model, doc", [(Organization, ORG), (Connection, OIDC), (Connection, SAML_PENDING)])
def test_a_stored_document_round_trips_exactly(model, doc):
    assert model.from_stored(doc).to_stored() == doc


def test_absent_fields_stay_absent_and_unknown_ones_are_kept():
    older = {k: v for k, v in ORG.items() if k not in ("verified_domains", "activity_guarded", "notification_webhook_secret_version")}
    newer = {**OIDC, "field_of_a_later_version": {"kept": True}}
    org = Organization.from_stored(older)
    assert org.verified_domains == [] and org.activity_guarded is False  # read with their defaults
    assert org.to_stored() == older and org.replace(name="Renamed").to_stored() == {**older, "name": "Renamed"}
    assert Connection.from_stored(newer).to_stored() == newer


def test_removing_a_field_leaves_it_absent_not_null():
    connection = Connection.from_stored(OIDC).without("test_failure", "certificate_credential")
    stored = connection.to_stored()
    assert "test_failure" not in stored and "certificate_credential" not in stored
    assert connection.test_failure is None and {k: v for k, v in OIDC.items() if k not in ("test_failure", "certificate_credential")} == stored


def test_records_are_frozen_and_nested_shapes_are_models():
    connection = Connection.from_stored(OIDC)
    with pytest.raises(ValidationError):
        connection.enabled = False
    assert connection.certificate_credential.key_version == "k2" and connection.previous_credential.type == "secret"
    assert connection.replace(sp_signing=SAML_PENDING["sp_signing"]).sp_signing.thumbprint == "CD"


def test_the_admin_view_leaves_out_the_internal_fields():
    assert Organization.from_stored(ORG).public() == {k: v for k, v in ORG.items() if k not in ("notification_webhook_secret_version", "activity_guarded")}
    shown = Connection.from_stored({**OIDC, **{k: SAML_PENDING[k] for k in ("sp_signing", "last_error", "idp_certificates")}}).public()
    for internal in ("client_secret_version", "certificate_credential", "previous_credential", "test_failure", "sp_signing", "last_error", "idp_certificates"):
        assert internal not in shown, internal
    assert shown["client_id"] == OIDC["client_id"]


def test_a_new_record_holds_every_answered_field():
    org = Organization.new(id="fabrikam", name="Fabrikam", redirect_uris=["https://app.example/cb"])
    assert set(org.to_stored()) == set(ORG) - {"notification_webhook_secret_version", "activity_guarded"}
    assert org.allowed_sign_in_methods == ["password", "sso"] and org.default_connection is None
