"""Deleting an organization on one instance stops its sign-ins on every instance at once (their
record caches notwithstanding) and leaves nothing of it in storage."""
from __future__ import annotations

import secrets
import threading
from urllib.parse import urlsplit

from tests.conftest import ApiClient
from tests.flows.helpers import ADELE, APP_REDIRECT, Browser, create_oidc_connection, entra_sign_in, query, register_oidc_app


def _code_via(base_url: str, stack, connection_id: str) -> tuple[str, str | None]:
    """A sign-in wholly on the host at `base_url` (start, Entra, callback): (step reached, code)."""
    browser = Browser(stack.simulator.ca_bundle)
    started = browser.get(f"{base_url}/auth/sso/start", params={"connection": connection_id, "redirect_uri": APP_REDIRECT,
                                                                 "state": "s-" + secrets.token_hex(4)})
    if started.status_code != 302:
        assert started.status_code < 500, started.text[:300]
        return "start refused", None
    from_entra = entra_sign_in(browser, started.headers["Location"], ADELE)
    assert from_entra.status_code == 302, from_entra.text[:300]
    callback = urlsplit(from_entra.headers["Location"])  # the stamp's public URL; this host serves it too
    answer = browser.get(f"{base_url}{callback.path}?{callback.query}")
    assert answer.status_code < 500, answer.text[:300]
    code = query(answer.headers.get("Location", "")).get("code")
    return ("code issued", code) if code else ("callback refused", None)


def _exchange(base_url: str, key: str, code: str) -> int:
    status = ApiClient(base_url, key).post("/api/sso/token", json={"code": code}).status_code
    assert status < 500
    return status


def _left_in_storage(org: str) -> list[str]:
    from shared.storage import tables

    rows = [f"activity/{r.row_key}" for r in tables.query_all("activity", "PartitionKey eq @p", {"p": org})]
    rows += [f"organizations/{r.row_key}" for r in tables.query_all("organizations", "PartitionKey eq @p", {"p": org})]
    rows += [f"connections/{r.partition_key}" for r in tables.query_all("connections", "organization eq @p", {"p": org})]
    return rows


def test_deleting_an_org_on_one_host_stops_sign_ins_on_the_other_at_once(stack, admin, new_org, host_b):
    org = new_org()
    connection = create_oidc_connection(admin, org, register_oidc_app(stack))
    key = admin.post("/api/api-keys", json={"organization": org, "name": "backend"}).json()["key"]
    # Host B has the org, the connection and the key in its caches, and a code not yet exchanged.
    step, code = _code_via(host_b.base_url, stack, connection["id"])
    assert step == "code issued" and _exchange(host_b.base_url, key, code) == 200
    _, unexchanged = _code_via(host_b.base_url, stack, connection["id"])
    assert unexchanged
    # A sign-in started on host B before the delete, finished after it.
    browser = Browser(stack.simulator.ca_bundle)
    pending = browser.get(f"{host_b.base_url}/auth/sso/start", params={"connection": connection["id"], "redirect_uri": APP_REDIRECT, "state": "x"})
    assert pending.status_code == 302

    deleted, signing_in = threading.Event(), threading.Event()
    during: list[tuple[str, bool]] = []

    def keep_signing_in() -> None:
        while not deleted.is_set():
            step, code = _code_via(host_b.base_url, stack, connection["id"])
            during.append((step, code is not None and _exchange(host_b.base_url, key, code) == 200))
            if during[-1][1]:
                signing_in.set()

    signers = [threading.Thread(target=keep_signing_in) for _ in range(3)]
    for signer in signers:
        signer.start()
    assert signing_in.wait(120), f"sign-ins on host B run while host A deletes: {during}"
    assert admin.delete(f"/api/organizations/{org}").status_code == 204
    deleted.set()
    for signer in signers:
        signer.join()

    after = [_code_via(host, stack, connection["id"]) for host in (host_b.base_url, stack.base_url) for _ in range(3)]
    assert [step for step, _ in after] == ["start refused"] * 6
    assert _exchange(host_b.base_url, key, unexchanged) != 200, "a code issued before the delete is dead after it"
    from_entra = entra_sign_in(browser, pending.headers["Location"], ADELE)
    callback = urlsplit(from_entra.headers["Location"])
    finished = browser.get(f"{host_b.base_url}{callback.path}?{callback.query}")
    assert finished.status_code < 500 and "code" not in query(finished.headers.get("Location", "")), "a login started before the delete cannot finish"
    assert _left_in_storage(org) == [], "the deleted org's partitions are empty once everything has settled"


def test_an_org_from_before_the_marker_still_signs_in_and_is_deleted_cleanly(stack, admin, new_org):
    from shared.storage import activity, tables
    from tests.lifecycle.helpers import oidc_setup, sign_in

    setup = oidc_setup(stack, admin, new_org)
    activity.delete_marker(setup.org)  # what an org created before the marker looks like
    stored = tables.get("organizations", setup.org, "organization")
    legacy = {k: v for k, v in stored.doc.items() if k != activity.GUARD_FIELD}
    tables.replace("organizations", setup.org, "organization", legacy, stored.etag)

    assert sign_in(stack, setup)["organization"] == setup.org
    assert admin.delete(f"/api/organizations/{setup.org}").status_code == 204
    assert _left_in_storage(setup.org) == []
