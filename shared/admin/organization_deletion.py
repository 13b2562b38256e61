"""Deleting an organization deletes what it owns: its connections (and their secrets), its
webhook signing secret, its API keys, its directories (users, groups, feeds), its domain claims and ownership of verified domains, its
invitations, and its activity (login states, codes, events).

The first step is the marker of its activity partition (shared/storage/activity.py): from that moment
every instance's writes for the org fail (sign-in starts, callbacks, codes, events), whatever
its caches still say, so sign-ins stop everywhere at once and nothing is written into the
partition after it is emptied. The org record goes last, so a deletion that fails half-way
(storage down: 503) leaves a dead org that can simply be deleted again."""
from __future__ import annotations

from shared.admin import connection_admin
from shared.directory import directories
from shared.orgs import api_keys, connections, organizations, webhook_secret
from shared.orgs.records import Organization
from shared.policy import domains
from shared.storage import activity, tables


def delete_organization(stored: tables.Stored[Organization]) -> None:
    org = stored.doc
    if not org.activity_guarded:  # an org from before the marker: stop its unguarded writes first
        organizations.save(org.replace(activity_guarded=True), stored.etag)
    activity.delete_marker(org.id)
    for listed in connections.list_for(org.id):
        connection = connections.get(listed.id)
        if connection is not None:
            connection_admin.delete(connection)
    api_keys.delete_keys_of(org.id)
    directories.delete_directories_of(org.id)  # their users, groups and feeds with them
    webhook_secret.delete(org)
    for domain in org.verified_domains:
        domains.release_ownership(org, domain)
    _empty(domains.TABLE, domains.claim_partition(org.id))
    _empty(activity.TABLE, org.id)
    for row in organizations.other_rows(org.id):
        tables.delete("organizations", org.id, row.row_key)  # invitations and the like
    organizations.delete(org.id)


def _empty(table: str, partition: str, attempts: int = 10) -> None:
    """Deletes the partition's rows. A row may go by itself meanwhile (a code redeemed, a purge),
    failing that batch: then look again."""
    for _ in range(attempts - 1):
        try:
            tables.delete_partition(table, partition)
            return
        except tables.EtagMismatch:
            continue
    tables.delete_partition(table, partition)
