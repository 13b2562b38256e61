"""An instance's warm-up (the Functions host's warmup trigger, and the dev host at start): the
work a first sign-in would otherwise pay for, done before the instance takes traffic.

- every table exists (created here when missing, never on a request: tables.ensure_tables);
- the secret store is open (Key Vault's client and token, or the local file's key);
- for up to WARM_CONNECTIONS OIDC connections: the tenant's discovery document and signing
  keys, and the connection's MSAL app (entra_client's cache), built with its current credential.

Bounded, and each part best effort: a failing connection or dependency is logged and skipped
(the request that needs it reports the failure to whoever can fix it).
"""
from __future__ import annotations

import logging

from shared.admin.health import check_dependencies
from shared.oidc import entra_client, jwks
from shared.oidc.discovery import provider_metadata
from shared.orgs import connections
from shared.orgs.credentials import registration
from shared.platform.errors import SsoError
from shared.platform.observability import log

WARM_CONNECTIONS = 10


def warm_instance() -> dict[str, int | bool]:
    """Warms what it can; returns what it did (for the log line and tests)."""
    checks = check_dependencies()
    warmed = failed = 0
    if checks["storage"]:
        try:
            candidates = [c.doc for c in connections.all_stored(limit=100) if c.doc.protocol == "oidc" and c.doc.enabled]
        except SsoError:
            candidates = []
        for connection in candidates[:WARM_CONNECTIONS]:
            try:
                entra_client.warm(registration(connection))
                jwks.prefetch(provider_metadata(connection.entra_tenant_id).jwks_uri)
                warmed += 1
            except Exception as exc:  # best effort: any failure (a secret gone, Entra down) waits for the request that needs it
                log(logging.WARNING, "instance_warm_up_skipped", connection=connection.id, error=getattr(exc, "code", type(exc).__name__))
                failed += 1
    result = {**checks, "connections_warmed": warmed, "connections_failed": failed}
    log(logging.INFO, "instance_warm_up", **result)
    return result
