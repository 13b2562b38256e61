"""Proving an OIDC connection's credential with Entra before anything relies on it: a
client-credentials request (`entra_client.probe_credential`) in the connection's tenant.

Used when a connection is created or its client id / tenant changes (connection_admin), when a
secret is rotated or rolled back (credential_rotation), and by `POST .../test`.
"""
from __future__ import annotations

import secrets

from shared.oidc.entra_client import AppRegistration, probe_credential
from shared.oidc.entra_tenant import MULTI_TENANT
from shared.orgs.records import Connection


def probe_tenant(doc: Connection) -> str | None:
    """Where a client-credentials request can prove the credential: the connection's own tenant,
    or for a multi-tenant app (`organizations`) the first of its allowed tenants."""
    if doc.entra_tenant_id == MULTI_TENANT:
        return doc.allowed_tenant_ids[0]
    return None


def prove(doc: Connection, credential, label: str) -> None:
    """A client-credentials request with `credential` (a secret, or MSAL's certificate dict);
    raises Entra's refusal (e.g. `application_not_found`, `invalid_client_secret`,
    `client_secret_expired`, `invalid_client_certificate`, `tenant_not_found`) or
    `authority_unreachable`. Each proof uses an MSAL app of its own (a fresh label), so no
    earlier answer or client assertion is reused."""
    registration = AppRegistration(doc.id, f"probe:{label}:{secrets.token_hex(8)}", doc.entra_tenant_id, doc.client_id, credential)
    probe_credential(registration, tenant_id=probe_tenant(doc))
