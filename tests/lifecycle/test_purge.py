"""purge_expired: expired login states, codes and SAML replay entries go, in bounded batches;
live ones, events and anything else in the table stay."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

import pytest
import requests

from shared.storage import tables


def _rows(partition: str, prefix: str) -> set[str]:
    return {s.row_key for s in tables.query_all("activity", "PartitionKey eq @p and RowKey ge @a and RowKey lt @b",
                                                {"p": partition, "a": prefix, "b": prefix[:-1] + "`"})}


def _insert(partition: str, prefix: str, expires_at: datetime, count: int) -> set[str]:
    keys = set()
    for start in range(0, count, 100):
        ops = []
        for _ in range(min(100, count - start)):
            key = prefix + secrets.token_hex(8)
            ops.append(tables.Op("create", key, {"status": "pending", "expires_at": expires_at.isoformat()}, indexed={"expires_at": expires_at}))
            keys.add(key)
        tables.transact("activity", partition, ops)
    return keys


@pytest.fixture
def partitions(stack, new_org):
    return [new_org(), new_org()]


def test_expired_rows_go_and_everything_else_stays(stack, admin, partitions):
    from shared.lifecycle import purge
    from shared.orgs import events

    now = datetime.now(timezone.utc)
    old, fresh = now - timedelta(hours=1), now + timedelta(minutes=10)
    just_expired = now - timedelta(minutes=1)  # within the grace period: a request may still hold it
    org_a, org_b = partitions
    gone = _insert(org_a, "login_", old, 250) | _insert(org_b, "login_", old, 30) | _insert(org_a, "replay_", old, 120)
    kept = _insert(org_a, "login_", fresh, 5) | _insert(org_b, "replay_", fresh, 5) | _insert(org_a, "login_", just_expired, 3)
    events.record(org_a, "test.event")
    # Rows of other kinds with a past expires_at: not this timer's business.
    past = {"expires_at": old}
    tables.insert("activity", org_a, "webhook_00000000000000_x", {"body": "{}"}, past)
    tables.insert("activity", org_a, "expiry_conn_x_secret_30", {}, past)
    tables.insert("activity", org_a, "loginx", {}, past)
    events_before = admin.get(f"/api/organizations/{org_a}/events").json()["items"]

    removed = purge.run(now)
    assert removed["login"] >= 280 and removed["replay"] >= 120, removed
    remaining = _rows(org_a, "login_") | _rows(org_b, "login_") | _rows(org_a, "replay_") | _rows(org_b, "replay_")
    assert not (gone & remaining) and kept <= remaining
    assert admin.get(f"/api/organizations/{org_a}/events").json()["items"] == events_before
    for key in ("webhook_00000000000000_x", "expiry_conn_x_secret_30", "loginx"):
        assert tables.get("activity", org_a, key) is not None, key


def test_a_run_is_bounded_and_the_next_continues(stack, partitions):
    from shared.lifecycle import purge

    org = partitions[0]
    now = datetime.now(timezone.utc)
    keys = _insert(org, "login_", now - timedelta(days=1), 130)
    purge.purge_prefix("login_", now - purge.GRACE, batch_size=40, max_rows=50, page_size=25)
    assert len(_rows(org, "login_") & keys) >= 80, "at most 50 rows per run (others' rows may be among them)"
    for _ in range(5):
        purge.purge_prefix("login_", now - purge.GRACE, batch_size=40, max_rows=50, page_size=25)
    assert not (_rows(org, "login_") & keys)


def test_a_row_gone_meanwhile_does_not_stop_the_batch(stack, partitions, monkeypatch):
    from shared.lifecycle import purge

    org = partitions[0]
    now = datetime.now(timezone.utc)
    keys = sorted(_insert(org, "replay_", now - timedelta(hours=2), 10))
    real_query = tables.query_page

    def query_then_someone_deletes(*args, **kwargs):
        page = real_query(*args, **kwargs)
        tables.delete("activity", org, keys[0])  # e.g. a code redeemed at the last moment
        monkeypatch.setattr(tables, "query_page", real_query)
        return page

    monkeypatch.setattr(tables, "query_page", query_then_someone_deletes)
    purge.purge_prefix("replay_", now - purge.GRACE)
    assert not (_rows(org, "replay_") & set(keys))


def test_real_sign_in_rows_are_purged_once_expired(stack, admin, new_org):
    """A login state written by /auth/sso/start: kept while live, purged when past its life."""
    from shared.lifecycle import purge
    from tests.flows.helpers import Browser, start
    from tests.lifecycle.helpers import oidc_setup

    setup = oidc_setup(stack, admin, new_org)
    started = start(Browser(stack.simulator.ca_bundle), stack, organization=setup.org)
    assert started.status_code == 302
    [login] = _rows(setup.org, "login_")
    purge.run()
    assert _rows(setup.org, "login_") == {login}
    purge.run(datetime.now(timezone.utc) + timedelta(minutes=16))
    assert _rows(setup.org, "login_") == set()


def test_the_timer_runs_through_the_dev_host(stack, partitions):
    org = partitions[0]
    keys = _insert(org, "login_", datetime.now(timezone.utc) - timedelta(hours=3), 7)
    url = f"{stack.base_url}/admin/functions/purge_expired"
    assert requests.post(url, json={"input": ""}, headers={"x-functions-key": "nope"}, timeout=30).status_code == 401
    assert requests.post(url, json={"input": ""}, headers={"x-functions-key": stack.bootstrap_key}, timeout=60).status_code == 202
    assert not (_rows(org, "login_") & keys)
