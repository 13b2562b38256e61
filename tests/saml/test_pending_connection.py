"""A pending SAML connection (no IdP yet) has SP metadata and nothing else: whatever needs the
IdP refuses it with `connection_pending`, as a second guard behind the sign-in path's own check."""
from __future__ import annotations

import base64

import pytest

from shared.platform.errors import SsoError
from shared.saml import SamlConnection
from shared.saml.authn_request import authn_request_redirect
from shared.saml.response import validate_response
from shared.saml.sp_metadata import sp_metadata_xml
from tests.saml.entra import ACS_URL, BASE_URL, CONNECTION_ID, SP_ENTITY_ID

PENDING = SamlConnection(connection_id=CONNECTION_ID, idp_entity_id=None, idp_sso_url=None, idp_certificates=())


def test_sp_metadata_needs_no_idp():
    xml = sp_metadata_xml(PENDING, BASE_URL)
    assert ACS_URL.encode() in xml and SP_ENTITY_ID.encode() in xml


def test_authn_request_and_response_check_refuse_a_pending_connection():
    with pytest.raises(SsoError) as request:
        authn_request_redirect(PENDING, BASE_URL, relay_state="org.state")
    with pytest.raises(SsoError) as response:
        validate_response(PENDING, base64.b64encode(b"<samlp:Response/>").decode(), base_url=BASE_URL, expected_request_id=None)
    assert request.value.code == response.value.code == "connection_pending"


def test_pending_means_no_idp_at_all(idp_key):
    with pytest.raises(ValueError):
        SamlConnection(connection_id=CONNECTION_ID, idp_entity_id=None, idp_sso_url=None, idp_certificates=(idp_key.cert_pem.decode(),))
    with pytest.raises(ValueError):
        SamlConnection(connection_id=CONNECTION_ID, idp_entity_id="https://sts.windows.net/x/", idp_sso_url="https://l/x/saml2", idp_certificates=())
