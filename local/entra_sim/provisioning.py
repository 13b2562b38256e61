"""Entra's provisioning service for one enterprise app: a job that keeps a SCIM endpoint (the
Tenant URL + Secret Token an admin pastes) in step with a simulator tenant.

It behaves as Microsoft documents the service: Test Connection asks for a user with a random
userName; the initial cycle looks every in-scope user up by its matching attribute (userName),
creates the missing ones and updates the ones that differ, then does the same for groups
(matched by displayName, read without members), created empty and filled by PATCH Add in chunks;
it remembers each target id and uses it from then on. Incremental cycles send only what changed
since: attribute updates as PATCH, a user blocked or taken out of scope as `active` false, a
deleted user as DELETE, group renames and member changes as PATCH, a deleted group as DELETE.
Objects are read in pages of 100; a failed request is recorded and retried on the next cycle.
The shapes of the bodies (and both dialects) are `scim_shapes`.
"""
from __future__ import annotations

import collections
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from . import scim_shapes as shapes
from .directory import ConfigError, Directory

PAGE = 100  # objects read from the tenant per page; also members per PATCH
SCIM_JSON = "application/scim+json"
LOG_LIMIT = 200_000


@dataclass
class LinkedUser:
    target_id: str
    exported: dict  # flat SCIM paths as last written


@dataclass
class LinkedGroup:
    target_id: str
    display_name: str
    members: dict = field(default_factory=dict)  # oid -> target id of the member


@dataclass
class Source:
    users: dict  # oid -> flat SCIM attributes, in tenant order
    groups: dict  # group id -> (display name, member oids in scope)
    present: set  # oids still in the tenant (in scope or not)


class _Cycle:
    """Counters for one cycle; threads of one page add to them."""

    def __init__(self, number: int, kind: str):
        self.lock = threading.Lock()
        self.number, self.kind, self.started = number, kind, time.time()
        self.counts = collections.Counter()
        self.errors: list[dict] = []

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    def error(self, what: str, response) -> None:
        with self.lock:
            self.counts["errors"] += 1
            self.errors.append({"object": what, **response})

    def view(self) -> dict:
        return {"cycle": self.number, "kind": self.kind, "counts": dict(self.counts),
                "errors": self.errors[:50], "seconds": round(time.time() - self.started, 3)}


def split_tenant_url(tenant_url: str) -> tuple[str, bool]:
    """The base the requests go to, and whether the admin added Entra's `aadOptscim062020` flag.
    The flag selects Entra's behaviour; it is not sent on (the SCIM paths follow the base)."""
    parts = urlsplit(tenant_url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"tenant_url must be an http(s) URL, got {tenant_url!r}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    compliant = any(k.lower() == shapes.FLAG.lower() for k, _ in query)
    rest = [(k, v) for k, v in query if k.lower() != shapes.FLAG.lower()]
    base = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), urlencode(rest), ""))
    return base, compliant


class ProvisioningJob:
    def __init__(self, directory: Directory, tenant_id: str, spec: dict):
        unknown = set(spec) - {"tenant_url", "secret_token", "external_id", "scope",
                               "assigned_users", "assigned_groups", "workers", "ca_bundle"}
        if unknown:
            raise ConfigError(f"unknown provisioning setting(s) {sorted(unknown)}")
        self.base_url, self.compliant = split_tenant_url(spec.get("tenant_url"))
        self.tenant_url = spec["tenant_url"]
        self._token = spec.get("secret_token") or ""
        if not self._token:
            raise ConfigError("secret_token is required (Entra sends it as the bearer token)")
        self.external_id = spec.get("external_id", "mailNickname")
        if self.external_id not in shapes.EXTERNAL_ID_SOURCES:
            raise ConfigError(f"external_id one of {shapes.EXTERNAL_ID_SOURCES}")
        self.scope = spec.get("scope", "all")
        if self.scope not in ("all", "assigned"):
            raise ConfigError("scope is 'all' (sync all users and groups) or 'assigned'")
        self.assigned_users = {str(u).lower() for u in spec.get("assigned_users", [])}
        self.assigned_groups = {str(g).lower() for g in spec.get("assigned_groups", [])}
        self.workers = max(1, min(int(spec.get("workers", 1)), 32))
        self._verify = spec.get("ca_bundle") or True
        self.directory, self.tenant_id = directory, tenant_id
        self.id = f"scim.{uuid.uuid4().hex}.{uuid.UUID(tenant_id).hex}"
        self.users: dict[str, LinkedUser] = {}
        self.groups: dict[str, LinkedGroup] = {}
        self.log: collections.deque = collections.deque(maxlen=LOG_LIMIT)
        self.cycles: list[dict] = []
        self._initial_done = False
        self._run_lock = threading.Lock()  # one cycle at a time, as Entra runs them
        self._local = threading.local()
        self._stop = threading.Event()
        self._loop: threading.Thread | None = None
        self.interval = None

    # -- HTTP ------------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False
            session.verify = self._verify
            session.headers.update({"Authorization": f"Bearer {self._token}", "Accept": SCIM_JSON})
            self._local.session = session
        return session

    def _send(self, cycle: int, method: str, path: str, query: list | None = None,
              body: dict | None = None) -> dict:
        """One SCIM request; returns {status, json, detail}. Never raises for the target's
        failures: Entra records them and retries the object next cycle."""
        url = self.base_url + path + (("?" + urlencode(query)) if query else "")
        headers = {"Content-Type": f"{SCIM_JSON}; charset=utf-8"} if body is not None else {}
        began = time.perf_counter()
        try:
            response = self._session().request(method, url, json=body, headers=headers, timeout=60)
            status, text = response.status_code, response.text
        except requests.RequestException as e:
            status, text = 0, f"{type(e).__name__}: could not reach the Tenant URL"
        seconds = time.perf_counter() - began
        data = None
        if text:
            try:
                data = response.json() if status else None
            except ValueError:
                data = None
        self.log.append({"cycle": cycle, "method": method, "path": path, "query": query or [],
                         "body": body, "status": status, "seconds": seconds,
                         "response": data if status >= 400 or status == 0 else None})
        detail = (data.get("detail") if isinstance(data, dict) else None) or (text[:300] if status >= 400 or status == 0 else None)
        return {"status": status, "json": data, "detail": detail}

    # -- Test Connection -------------------------------------------------------------------

    def test_connection(self) -> dict:
        """Entra's Test Connection: a filter on a userName nobody has; a 200 passes."""
        result = self._probe(0, "/Users", [])
        ok = result["status"] == 200 and isinstance(result["json"], dict)
        return {"ok": ok, "status": result["status"], "detail": None if ok else result["detail"]}

    def _probe(self, cycle: int, resource: str, extra: list) -> dict:
        """A lookup of a random name: how Entra checks the endpoint and the token."""
        attribute = "userName" if resource == "/Users" else "displayName"
        return self._send(cycle, "GET", resource, extra + [("filter", shapes.eq_filter(attribute, str(uuid.uuid4())))])

    # -- the source ------------------------------------------------------------------------

    def _in_scope(self, user) -> bool:
        if self.scope == "all":
            return True
        return user.oid in self.assigned_users or bool(self.assigned_groups.intersection(user.groups))

    def _source(self) -> Source:
        with self.directory.lock:
            tenant = self.directory.tenant(self.tenant_id)
            if tenant is None:
                return Source({}, {}, set())
            scoped = [u for u in tenant.users.values() if self._in_scope(u)]
            users = {u.oid: shapes.user_attributes(u, self.external_id) for u in scoped}
            groups = {g.id: (g.display_name, []) for g in tenant.groups.values()
                      if self.scope == "all" or g.id in self.assigned_groups}
            for user in scoped:
                for gid in user.groups:
                    if gid in groups:
                        groups[gid][1].append(user.oid)
            return Source(users, groups, set(tenant.users))

    # -- a cycle ---------------------------------------------------------------------------

    def run_cycle(self) -> dict:
        """Runs one cycle now (the initial one first, incremental after) and returns its summary."""
        with self._run_lock:
            cycle = _Cycle(len(self.cycles) + 1, "incremental" if self._initial_done else "initial")
            source = self._source()
            force = not self._initial_done
            # Entra starts every cycle by fetching a random user and group (Microsoft's tutorial).
            probes = [self._probe(cycle.number, "/Users", []),
                      self._probe(cycle.number, "/Groups", [("excludedAttributes", "members")])]
            if any(p["status"] != 200 for p in probes):
                cycle.error("the endpoint", next(p for p in probes if p["status"] != 200))
                return self._finish(cycle)
            self._pages(list(source.users.items()),
                        lambda item: self._sync_user(cycle, item[0], item[1], force))
            for oid in [o for o in self.users if o not in source.users]:
                self._retire_user(cycle, oid, deleted=oid not in source.present)
            self._pages(list(source.groups.items()),
                        lambda item: self._sync_group(cycle, item[0], *item[1]))
            for gid in [g for g in self.groups if g not in source.groups]:
                self._delete_group(cycle, gid)
            self._initial_done = True
            return self._finish(cycle)

    def _finish(self, cycle: _Cycle) -> dict:
        summary = cycle.view()
        summary["requests"] = sum(1 for e in self.log if e["cycle"] == cycle.number)
        self.cycles.append(summary)
        return summary

    def _pages(self, items: list, work) -> None:
        with ThreadPoolExecutor(self.workers) as pool:
            for start in range(0, len(items), PAGE):
                list(pool.map(work, items[start:start + PAGE]))

    def _sync_user(self, cycle: _Cycle, oid: str, desired: dict, force: bool) -> None:
        n = cycle.number
        linked = self.users.get(oid)
        if linked is not None and not force and linked.exported == desired:
            return
        if linked is not None:
            got = self._send(n, "GET", f"/Users/{linked.target_id}")
            if got["status"] == 404:
                del self.users[oid]
                linked = None
            elif got["status"] != 200:
                return cycle.error(f"user {oid}", got)
            else:
                return self._update_user(cycle, oid, linked.target_id,
                                         shapes.target_attributes(got["json"]), desired)
        if not desired.get("active"):
            return cycle.count("users_skipped")  # Entra does not provision a blocked user
        found = self._send(n, "GET", "/Users", [("filter", shapes.eq_filter("userName", desired["userName"]))])
        if found["status"] != 200:
            return cycle.error(f"user {oid}", found)
        resources = (found["json"] or {}).get("Resources") or []
        if resources:
            target_id = resources[0].get("id")
            return self._update_user(cycle, oid, target_id, shapes.target_attributes(resources[0]),
                                     desired)
        created = self._send(n, "POST", "/Users", body=shapes.user_body(desired))
        if created["status"] != 201 or not isinstance(created["json"], dict):
            return cycle.error(f"user {oid}", created)
        self.users[oid] = LinkedUser(created["json"].get("id"), dict(desired))
        cycle.count("users_created")

    def _update_user(self, cycle: _Cycle, oid: str, target_id: str, current: dict,
                     desired: dict) -> None:
        ops = shapes.attribute_ops(current, desired, self.compliant)
        if ops:
            patched = self._send(cycle.number, "PATCH", f"/Users/{target_id}",
                                 body=shapes.patch_body(ops))
            if patched["status"] not in (200, 204):
                return cycle.error(f"user {oid}", patched)
            was_active = current.get("active", True)
            cycle.count("users_disabled" if was_active and desired.get("active") is False
                        else "users_updated")
        self.users[oid] = LinkedUser(target_id, dict(desired))

    def _retire_user(self, cycle: _Cycle, oid: str, deleted: bool) -> None:
        """A linked user gone from the tenant is deleted; one out of scope is disabled and no
        longer managed (as Entra does for an unassigned user)."""
        linked = self.users[oid]
        if deleted:
            gone = self._send(cycle.number, "DELETE", f"/Users/{linked.target_id}")
            if gone["status"] not in (204, 200, 404):
                return cycle.error(f"user {oid}", gone)
            for group in self.groups.values():  # the target drops a deleted user's memberships
                group.members.pop(oid, None)
            cycle.count("users_deleted")
        else:
            ops = shapes.attribute_ops({"active": True}, {"active": False}, self.compliant)
            patched = self._send(cycle.number, "PATCH", f"/Users/{linked.target_id}",
                                 body=shapes.patch_body(ops))
            if patched["status"] not in (200, 204):
                return cycle.error(f"user {oid}", patched)
            cycle.count("users_disabled")
        del self.users[oid]

    def _sync_group(self, cycle: _Cycle, gid: str, display_name: str, member_oids: list) -> None:
        n = cycle.number
        desired = {oid: self.users[oid].target_id for oid in member_oids if oid in self.users}
        linked = self.groups.get(gid)
        if linked is None:
            found = self._send(n, "GET", "/Groups", [("excludedAttributes", "members"),
                                                     ("filter", shapes.eq_filter("displayName", display_name))])
            if found["status"] != 200:
                return cycle.error(f"group {gid}", found)
            resources = (found["json"] or {}).get("Resources") or []
            if resources:
                linked = LinkedGroup(resources[0].get("id"), display_name)
            else:
                created = self._send(n, "POST", "/Groups",
                                     body=shapes.group_body(_GroupView(gid, display_name)))
                if created["status"] != 201 or not isinstance(created["json"], dict):
                    return cycle.error(f"group {gid}", created)
                linked = LinkedGroup(created["json"].get("id"), display_name)
                cycle.count("groups_created")
            self.groups[gid] = linked
        elif linked.display_name != display_name:
            renamed = self._send(n, "PATCH", f"/Groups/{linked.target_id}",
                                 body=shapes.patch_body(shapes.rename_group_ops(display_name, self.compliant)))
            if renamed["status"] not in (200, 204):
                return cycle.error(f"group {gid}", renamed)
            linked.display_name = display_name
            cycle.count("groups_updated")
        added = sorted(oid for oid in desired if oid not in linked.members)
        removed = sorted(oid for oid in linked.members if oid not in desired)
        for start in range(0, len(added), PAGE):
            chunk = added[start:start + PAGE]
            ops = shapes.add_members_ops([desired[o] for o in chunk], self.compliant)
            if not self._member_patch(cycle, gid, linked, ops):
                return
            linked.members.update({o: desired[o] for o in chunk})
            cycle.count("member_additions")
        for start in range(0, len(removed), PAGE):
            chunk = removed[start:start + PAGE]
            ops = shapes.remove_members_ops([linked.members[o] for o in chunk], self.compliant)
            if not self._member_patch(cycle, gid, linked, ops):
                return
            for o in chunk:
                linked.members.pop(o, None)
            cycle.count("member_removals")

    def _member_patch(self, cycle: _Cycle, gid: str, linked: LinkedGroup, ops: list) -> bool:
        patched = self._send(cycle.number, "PATCH", f"/Groups/{linked.target_id}",
                             body=shapes.patch_body(ops))
        if patched["status"] not in (200, 204):
            cycle.error(f"group {gid}", patched)
            return False
        return True

    def _delete_group(self, cycle: _Cycle, gid: str) -> None:
        gone = self._send(cycle.number, "DELETE", f"/Groups/{self.groups[gid].target_id}")
        if gone["status"] not in (204, 200, 404):
            return cycle.error(f"group {gid}", gone)
        del self.groups[gid]
        cycle.count("groups_deleted")

    # -- scope and lifecycle ---------------------------------------------------------------

    def assign(self, users=(), groups=()) -> None:
        self.assigned_users.update(str(u).lower() for u in users)
        self.assigned_groups.update(str(g).lower() for g in groups)

    def unassign(self, users=(), groups=()) -> None:
        self.assigned_users.difference_update(str(u).lower() for u in users)
        self.assigned_groups.difference_update(str(g).lower() for g in groups)

    def restart(self) -> None:
        """Entra's "Restart provisioning": the next cycle is an initial one; links are kept."""
        self._initial_done = False

    def start(self, interval_seconds: float) -> None:
        """Entra's "Start provisioning": cycles back to back, `interval_seconds` apart (Entra:
        about 40 minutes), until `stop()`."""
        self.stop()
        self._stop.clear()
        self.interval = interval_seconds

        def loop():
            while not self._stop.is_set():
                self.run_cycle()
                self._stop.wait(interval_seconds)

        self._loop = threading.Thread(target=loop, name=f"provisioning {self.id}", daemon=True)
        self._loop.start()

    def stop(self) -> None:
        self._stop.set()
        if self._loop is not None and self._loop is not threading.current_thread():
            self._loop.join(timeout=120)
        self._loop, self.interval = None, None

    def view(self) -> dict:
        running = self._loop is not None and self._loop.is_alive()
        return {"id": self.id, "tenant_id": self.tenant_id, "tenant_url": self.tenant_url,
                "scim_compliant_flag": self.compliant, "external_id": self.external_id,
                "scope": self.scope, "assigned_users": sorted(self.assigned_users),
                "assigned_groups": sorted(self.assigned_groups), "workers": self.workers,
                "state": "active" if running else ("idle" if self.cycles else "not_started"),
                "interval_seconds": self.interval, "cycles": len(self.cycles),
                "last_cycle": self.cycles[-1] if self.cycles else None,
                "linked": {"users": {oid: u.target_id for oid, u in self.users.items()},
                           "groups": {gid: g.target_id for gid, g in self.groups.items()}}}

    def requests_sent(self, cycle: int | None = None) -> list[dict]:
        """The requests this job sent (method, path, query, body, status), oldest first."""
        return [dict(e) for e in list(self.log) if cycle is None or e["cycle"] == cycle]


@dataclass
class _GroupView:
    id: str
    display_name: str
