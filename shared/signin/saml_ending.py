"""The SAML sign-in with Entra: the AuthnRequest, the ACS, and the SP metadata of a connection.

RelayState is only ever our own state id (`<org>.<random>`): it names the pending login whose
stored AuthnRequest id the response must answer. It is never a URL we redirect to. A response
with no pending login is IdP-initiated: accepted only when the connection allows it, and then
sent to the org's first redirect URI. The assertion id enters the replay cache in the same
transaction that issues the code, so a replay fails atomically on any instance. The rest of the
ending, shared with OIDC, is ending.py's.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Mapping

from shared import saml
from shared.orgs import connections
from shared.orgs.credentials import secret_value
from shared.orgs.records import Connection, Organization
from shared.platform.errors import SsoError
from shared.signin import ending, logins, saml_checks
from shared.signin.outcome import Outcome
from shared.signin.profile import saml_profile
from shared.signin.targets import Target
from shared.storage import tables

# Kept past NotOnOrAfter by more than the toolkit's clock allowance, so no replay outlives its entry.
REPLAY_MARGIN = timedelta(minutes=10)


def saml_config(connection: Connection) -> saml.SamlConnection:
    signing = connection.sp_signing if connection.sign_authn_requests else None
    return saml.SamlConnection(
        connection_id=connection.id, idp_entity_id=connection.idp_entity_id, idp_sso_url=connection.idp_sso_url,
        idp_certificates=tuple(connection.idp_certificates), sp_entity_id=connection.sp_entity_id,
        allow_idp_initiated=connection.allow_idp_initiated, attribute_mapping=connection.attribute_mapping,
        sign_requests=bool(signing),
        sp_private_key_pem=secret_value(connections.secret_name(connection.id, connections.SP_SIGNING_KEY), signing.key_version) if signing else None,
        sp_certificate_pem=signing.certificate_pem if signing else None,
    )


def authn_request(connection: Connection, state: str, options: dict) -> tuple[str, dict]:
    redirect = saml.authn_request_redirect(saml_config(connection), relay_state=state, force_authn=options["prompt"] == "login",
                                           login_hint=options["login_hint"])
    return redirect.url, {"saml_request_id": redirect.request_id}


def sp_metadata(connection_id: str) -> bytes:
    stored = connections.get_cached(connection_id)
    if stored is None or stored.doc.protocol != "saml":
        raise SsoError("not_found", "No SAML connection with this id.")
    return saml.sp_metadata_xml(saml_config(stored.doc))


def _pending_login(relay_state: str | None, connection_id: str) -> tables.Stored | None:
    """The login RelayState names, if it is one of ours for this connection; else None. Storage
    being down is not "no login": it propagates (503), nothing known to send the browser to."""
    try:
        login = logins.read_pending(relay_state)
    except SsoError as err:
        if err.status >= 500:
            raise
        return None
    return login if login.doc.connection == connection_id else None


def _profile(assertion, org: Organization, connection: Connection):
    tenant_id = assertion.tenant_id or ""
    return saml_profile(
        assertion.attributes, name_id=assertion.name_id, entra_tenant_id=tenant_id, organization=org.id,
        connection_id=connection.id, verified_domains=org.verified_domains,
        own_single_tenant_app=bool(tenant_id) and connection.idp_entity_id == f"https://sts.windows.net/{tenant_id}/",
        attribute_mapping=connection.attribute_mapping,
    )


def acs(connection_id: str, form: Mapping[str, str]) -> Outcome:
    stored = connections.get_cached(connection_id)
    if stored is None or stored.doc.protocol != "saml":
        raise SsoError("unknown_connection")
    login = _pending_login(form.get("RelayState"), connection_id)
    expected_request_id = login.doc.saml_request_id if login else None
    return ending.end(login, organization=stored.doc.organization, connection_id=connection_id, protocol="saml",
                      verify=lambda target, evidence: _verify(target, form.get("SAMLResponse") or "", expected_request_id, evidence))


def _verify(target: Target, saml_response: str, expected_request_id: str | None, evidence: ending.Evidence) -> ending.Verified:
    connection = target.connection
    try:
        assertion = saml.validate_response(saml_config(connection), saml_response, expected_request_id=expected_request_id)
    except SsoError as err:
        evidence.checks = saml_checks.failed_checks(err)
        raise
    evidence.checks = saml_checks.passed_checks(assertion, connection, saml.acs_url(connection.id), expected_request_id)
    evidence.received = {"NameID": assertion.name_id, **assertion.attributes}  # nothing from a refused response
    profile, email_check = _profile(assertion, target.organization, connection)
    replay = logins.replay_op(assertion.assertion_id, assertion.not_on_or_after + REPLAY_MARGIN)
    return ending.Verified(profile, email_check, (replay,))
