"""The admin API through the client: typed results, typed errors carrying the stable code, status
and correlation id, and lists that follow their cursors (against the dev host and Azurite)."""
from __future__ import annotations

import secrets

import pytest
from entra_sso_client import (
    ApiKey,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    Connection,
    ConnectionTest,
    Domain,
    EntraSsoError,
    Event,
    NotFoundError,
    Organization,
    PendingCertificate,
    PermissionDeniedError,
    SignInPolicy,
    UnavailableError,
)

from local.azurite import free_port
from tests.flows.helpers import APP_REDIRECT, register_oidc_app


def _org(client) -> Organization:
    return client.create_organization("cl-" + secrets.token_hex(5), "Client Org", [APP_REDIRECT])


def test_organizations_typed_listed_across_pages_and_conflicts_typed(global_client):
    made = [_org(global_client) for _ in range(3)]
    assert isinstance(made[0], Organization) and made[0].redirect_uris == [APP_REDIRECT] and made[0].etag
    listed = [org.id for org in global_client.list_organizations(page_size=1)]
    assert {org.id for org in made} <= set(listed) and len(listed) == len(set(listed))

    org = made[0]
    renamed = global_client.update_organization(org.id, if_match=org.etag, name="Renamed")
    assert renamed.name == "Renamed" and renamed.etag != org.etag
    with pytest.raises(ConflictError) as stale:
        global_client.update_organization(org.id, if_match=org.etag, name="Stale")
    assert (stale.value.code, stale.value.status) == ("conflict", 409) and len(stale.value.correlation_id or "") == 16
    with pytest.raises(BadRequestError) as unknown:
        global_client.update_organization(org.id, colour="blue")
    assert unknown.value.code == "unknown_field" and "colour" in unknown.value.message

    global_client.delete_organization(org.id)
    with pytest.raises(NotFoundError) as gone:
        global_client.get_organization(org.id)
    assert gone.value.code == "not_found"


def test_connections_and_their_credentials(stack, global_client):
    org = _org(global_client)
    app = register_oidc_app(stack)
    connection = global_client.create_connection(org.id, "oidc", entra_tenant_id=app["tenant"], client_id=app["client_id"],
                                                  client_secret=app["secret"], client_secret_expires_on="2099-01-01")
    assert isinstance(connection, Connection) and connection.protocol == "oidc" and connection.status == "active"
    assert connection.redirect_uri == f"{stack.base_url}/auth/sso/microsoft/callback"
    assert [c.id for c in global_client.list_connections(org.id)] == [connection.id]
    updated = global_client.update_connection(org.id, connection.id, display_name="Contoso Entra")
    assert global_client.get_connection(org.id, connection.id).display_name == updated.display_name == "Contoso Entra"

    test = global_client.test_connection(org.id, connection.id)
    assert isinstance(test, ConnectionTest) and test.test_url.startswith(stack.simulator.authority) and all(check.ok for check in test.checks)

    with pytest.raises(BadRequestError) as same:
        global_client.rotate_secret(org.id, connection.id, app["secret"], "2099-01-01")
    assert same.value.code == "client_secret_unchanged"
    with pytest.raises(ConflictError) as nothing_to_restore:
        global_client.rollback_secret(org.id, connection.id)
    assert nothing_to_restore.value.code == "rollback_unavailable"
    pending = global_client.create_certificate(org.id, connection.id)
    assert isinstance(pending, PendingCertificate) and pending.certificate_pem.startswith("-----BEGIN CERTIFICATE-----")
    with pytest.raises(EntraSsoError) as not_uploaded:  # Entra does not know the certificate yet
        global_client.activate_certificate(org.id, connection.id)
    assert 400 <= not_uploaded.value.status < 500

    global_client.delete_connection(org.id, connection.id)
    assert list(global_client.list_connections(org.id)) == []


def test_domains_policy_invitations_and_events(global_client):
    org = _org(global_client)
    domain = f"cl-{secrets.token_hex(4)}.example.test"
    claim = global_client.claim_domain(org.id, domain)
    assert isinstance(claim, Domain) and claim.status == "pending" and claim.txt_record is not None
    assert claim.txt_record.name == f"_entra-sso.{domain}" and claim.txt_record.value
    assert [d.domain for d in global_client.list_domains(org.id)] == [domain] == [global_client.get_domain(org.id, domain).domain]
    global_client.delete_domain(org.id, domain)
    assert list(global_client.list_domains(org.id)) == []

    policy = global_client.sign_in_policy(org.id, "ada@contoso.com")
    assert isinstance(policy, SignInPolicy) and policy.password_allowed and not policy.sso_required

    invitation = global_client.invite(org.id, "ada@contoso.com")
    assert invitation.email == "ada@contoso.com" and [i.id for i in global_client.list_invitations(org.id)] == [invitation.id]
    global_client.delete_invitation(org.id, invitation.id)

    events = list(global_client.list_events(org.id, page_size=2))
    assert all(isinstance(e, Event) for e in events)  # two a page: the iterator followed the cursors
    assert {"organization.created", "domain.claimed", "domain.removed", "invitation.created", "invitation.revoked"} <= {e.type for e in events}
    assert [e.time for e in events] == sorted((e.time for e in events), reverse=True)


def test_api_keys_created_listed_and_revoked(global_client, client_for):
    org = _org(global_client)
    made = global_client.create_api_key("backend", org.id)
    assert made.organization == org.id and made.key.startswith(f"sso_{made.id}_") and made.key not in repr(made)
    backend = client_for(made.key)
    assert backend.get_organization(org.id).id == org.id
    with pytest.raises(PermissionDeniedError) as org_key:
        list(backend.list_organizations())
    assert (org_key.value.code, org_key.value.status) == ("forbidden", 403)

    listed = list(global_client.list_api_keys(org.id, page_size=1))
    assert listed and all(isinstance(k, ApiKey) for k in listed) and made.id in {k.id for k in listed}
    assert next(k for k in listed if k.id == made.id).last_used is not None  # it was just used
    backend.revoke_api_key(made.id)  # an org key may revoke itself
    with pytest.raises(AuthenticationError) as revoked:
        backend.get_organization(org.id)
    assert (revoked.value.code, revoked.value.status) == ("unauthorized", 401)


def test_an_unreachable_stamp_is_a_typed_unavailable_error(client_for):
    from entra_sso_client import EntraSso

    with pytest.raises(UnavailableError) as down:
        EntraSso(f"http://127.0.0.1:{free_port()}", "k", timeout=5).get_organization("contoso")
    assert (down.value.code, down.value.status) == ("unreachable", 0)
