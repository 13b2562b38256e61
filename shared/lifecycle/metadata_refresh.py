"""The daily re-read of SAML connections' `idp_metadata_url`: the certificate list becomes
exactly what the IdP publishes now (both certificates during a rollover), so a new signing
certificate works the day Entra lists it. A failing URL keeps the last good certificates and
shows up as the connection's `error` status and an event."""
from __future__ import annotations

import logging

from shared import saml
from shared.orgs import connections, events
from shared.orgs.records import Connection
from shared.platform.errors import SsoError
from shared.platform.observability import log
from shared.platform.timestamps import iso


def _refresh(doc: Connection, etag: str) -> None:
    try:
        idp = saml.load_idp(metadata_url=doc.idp_metadata_url)
    except SsoError as err:
        if doc.last_error != err.message:
            connections.save(doc.replace(last_error=err.message), etag)
            events.record(doc.organization, "saml_metadata.refresh_failed", connection=doc.id, outcome="failed", error=err.code)
        log(logging.WARNING, "saml_metadata_refresh_failed", connection=doc.id, error=err.code)
        return
    changed = list(idp.certificates) != doc.idp_certificates or idp.sso_url != doc.idp_sso_url or idp.entity_id != doc.idp_entity_id
    updated = doc.replace(idp_entity_id=idp.entity_id, idp_sso_url=idp.sso_url, idp_certificates=list(idp.certificates),
                          idp_metadata_refreshed=iso()).without("last_error")
    connections.save(updated, etag)
    if changed:
        events.record(doc.organization, "saml_metadata.updated", connection=doc.id, detail={"certificates": len(idp.certificates)})


def refresh_all() -> int:
    """Refreshes every SAML connection with a metadata URL; returns how many were read. One
    connection's failure (or a concurrent admin change: etag conflict) never stops the others."""
    refreshed = 0
    for stored in connections.all_stored():
        if stored.doc.protocol != "saml" or not stored.doc.idp_metadata_url:
            continue
        try:
            _refresh(stored.doc, stored.etag)
            refreshed += 1
        except SsoError as err:
            log(logging.WARNING, "saml_metadata_refresh_skipped", connection=stored.doc.id, error=err.code)
    return refreshed
