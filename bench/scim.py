"""An initial Entra provisioning cycle into a directory, on Azurite through the dev host.

    .venv/bin/python -m bench.scim [--users 10000] [--groups 1000] [--members 20] [--workers 4]

The Entra simulator's provisioning client sends what Entra's provisioning service sends for a
tenant of --users users and --groups groups of --members members on average: Test Connection,
then per user `GET /Users?filter=userName eq ..` + `POST /Users`, per group
`GET /Groups?excludedAttributes=members&filter=displayName eq ..` + `POST /Groups` + member
PATCHes of up to 100. The dev host runs as its own process, as it would for a user; --workers
requests are in flight at once (Entra does not document its own parallelism).

Printed: requests per second over the whole cycle and its ratio to 25 requests/s (what Entra's
provisioning service expects a SCIM endpoint to sustain; target 4x), p50/p95 per request and per
kind (target p95 < 100 ms), errors; the CPU per request of the dev host and of Azurite (from
/proc: unlike wall rates it hardly moves when other work shares the machine) with the load
average; and the Table Storage round trips per request and per Test Connection (target 1),
counted in a second, in-process pass at http.client (the storage SDK) and at
shared/platform/http1's connections (table_rest), as bench/sign_in.py counts. `--profile FILE` profiles
that in-process pass's handlers (cProfile, CPU time of each request's thread: time.thread_time),
writes FILE (pstats) and prints the top functions.
"""
from __future__ import annotations

import argparse
import collections
import cProfile
import logging
import os
import pstats
import random
import secrets
import subprocess
import sys
import threading
import time
import uuid

import requests

from bench.sign_in import _percentile, _session, cpu_seconds, load_average
from local.azurite import ROOT, free_port, start_azurite
from local.storage_count import storage_requests

BASELINE_RPS = 25.0  # Entra's provisioning service expects a SCIM endpoint to sustain this


def tenant_spec(users: int, groups: int, members: int, seed: int = 13) -> dict:
    """A tenant of `users` users and `groups` groups of `members` members on average."""
    rng = random.Random(seed)
    tid = str(uuid.UUID(int=rng.getrandbits(128)))
    domain = f"bench{tid[:8]}.example"
    group_ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(groups)]
    memberships: list[list[str]] = [[] for _ in range(users)]
    for gid in group_ids:
        for index in rng.sample(range(users), min(users, max(0, int(rng.gauss(members, members / 4))))):
            memberships[index].append(gid)
    people = [{"upn": f"user{i:05d}@{domain}", "name": f"User {i:05d}", "given_name": "User", "family_name": f"N{i:05d}",
               "email": f"user{i:05d}@{domain}", "groups": memberships[i]} for i in range(users)]
    return {"id": tid, "name": "Bench", "domains": [domain], "users": people,
            "groups": [{"id": gid, "display_name": f"Group {n:04d}"} for n, gid in enumerate(group_ids)]}


def _start_host(env: dict) -> subprocess.Popen:
    port = env["SSO_PUBLIC_BASE_URL"].rsplit(":", 1)[1]
    host = subprocess.Popen([sys.executable, "-m", "local.devhost", "--port", port], cwd=ROOT, env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # the client counts what failed
    for _ in range(200):
        try:
            _session(True).get(f"{env['SSO_PUBLIC_BASE_URL']}/api/health", timeout=1)
            return host
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("the dev host did not start")


def _directory(base_url: str, bootstrap: str, org: str) -> dict:
    api = _session(True)
    api.headers["Authorization"] = f"Bearer {bootstrap}"
    created = api.post(f"{base_url}/api/organizations", json={"id": org, "name": org, "redirect_uris": ["https://app.example.com/cb"]})
    if created.status_code not in (201, 409):
        raise SystemExit(f"creating the organization answered {created.status_code}: {created.text[:300]}")
    made = api.post(f"{base_url}/api/organizations/{org}/directories", json={"name": "Entra ID (bench)"})
    if made.status_code != 201:
        raise SystemExit(f"creating the directory answered {made.status_code}: {made.text[:300]}")
    return made.json()


def _kind(entry: dict) -> str:
    if entry["cycle"] == 0:
        return "Test Connection"
    resource = "Users" if entry["path"].startswith("/Users") else "Groups"
    if entry["method"] == "GET":
        return f"GET {resource} by filter" if entry["query"] else f"GET {resource}/id"
    return f"{entry['method']} {resource}"


def report(entries: list[dict], wall: float) -> int:
    seconds = [e["seconds"] for e in entries]
    errors = [e for e in entries if not 200 <= e["status"] < 300]
    rps = len(entries) / wall
    print(f"requests                    {len(entries)} in {wall:.1f} s, errors {len(errors)}")
    print(f"throughput                  {rps:7.1f} requests/s   ratio to {BASELINE_RPS:.0f}/s: {rps / BASELINE_RPS:5.2f}x   (target: >= 4x)")
    print(f"latency per request         p50 {_percentile(seconds, 0.5) * 1000:7.1f} ms   p95 {_percentile(seconds, 0.95) * 1000:7.1f} ms   (target: p95 < 100 ms)")
    by_kind = collections.defaultdict(list)
    for e in entries:
        by_kind[_kind(e)].append(e["seconds"])
    for kind, values in sorted(by_kind.items()):
        print(f"  {kind:26s}{len(values):7d}   p50 {_percentile(values, 0.5) * 1000:7.1f} ms   p95 {_percentile(values, 0.95) * 1000:7.1f} ms")
    for e in errors[:5]:
        print(f"  error: {e['method']} {e['path']} -> {e['status']} {str(e.get('response'))[:200]}", file=sys.stderr)
    return len(errors)


def _profiled(routes, profiles: list, lock: threading.Lock):
    """The dev host's routes, each handler run under its own cProfile of its thread's CPU time."""
    import dataclasses

    def wrap(handler):
        def run(request):
            profile = cProfile.Profile(time.thread_time)
            profile.enable()
            try:
                return handler(request)
            finally:
                profile.disable()
                with lock:
                    profiles.append(profile)
        return run

    return [dataclasses.replace(route, handler=wrap(route.handler)) for route in routes]


def count_round_trips(env: dict, users: int, groups: int, members: int, test_connections: int = 20,
                      profile_path: str | None = None) -> tuple[float, float]:
    """Storage requests per Test Connection and per SCIM request of a small cycle, with the dev
    host in this process, counted at http.client (the SDK's transport) and http1 (table_rest)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    os.environ.update({**env, "SSO_PUBLIC_BASE_URL": base_url})  # the Tenant URL must name this host
    logging.getLogger("entra_sso").setLevel(logging.ERROR)  # refusals are counted by the client, not printed
    import function_app
    from local import devhost
    from local.entra_sim import start_simulator

    profiles: list = []
    collect = devhost.collect_functions
    if profile_path:
        def collecting(app):
            routes, timers, warmups = collect(app)
            return _profiled(routes, profiles, threading.Lock()), timers, warmups
        devhost.collect_functions = collecting
    try:
        server = devhost.make_server("127.0.0.1", port, function_app.app, env["SSO_BOOTSTRAP_API_KEY"])
    finally:
        devhost.collect_functions = collect
    threading.Thread(target=server.serve_forever, daemon=True).start()
    directory = _directory(base_url, env["SSO_BOOTSTRAP_API_KEY"], "bench-trips")
    spec = tenant_spec(users, groups, members, seed=29)
    with start_simulator(config={"tenants": [spec]}) as sim:
        job_id = sim.create_provisioning_job(spec["id"], {"tenant_url": directory["scim_base_url"], "secret_token": directory["token"]})["id"]
        sim.test_provisioning_connection(job_id)  # warm: table clients, the token's directory
        with storage_requests(env["SSO_STORAGE_CONNECTION_STRING"]) as counted:
            for _ in range(test_connections):
                sim.test_provisioning_connection(job_id)
            per_test = len(counted) / test_connections
            counted.clear()
            profiles.clear()
            sim.run_provisioning_cycle(job_id)
            sent = len(sim.provisioning_requests(job_id, 1))
            in_cycle = len(counted)
    server.shutdown()
    if profile_path and profiles:
        stats = pstats.Stats(profiles[0])
        for profile in profiles[1:]:
            stats.add(profile)
        stats.dump_stats(profile_path)
        print(f"profile of {len(profiles)} requests (CPU of each request's thread) -> {profile_path}")
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
    return per_test, in_cycle / max(1, sent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=1_000)
    parser.add_argument("--members", type=int, default=20, help="average members per group")
    parser.add_argument("--workers", type=int, default=4, help="requests in flight at once")
    parser.add_argument("--profile", metavar="FILE", help="profile the in-process pass's handlers into FILE (pstats)")
    args = parser.parse_args()

    from local.entra_sim import start_simulator

    azurite = start_azurite()
    processes = [azurite.process]
    try:
        port = free_port()
        bootstrap = secrets.token_urlsafe(32)
        (ROOT / ".local").mkdir(exist_ok=True)
        env = {
            "SSO_REGION": "eu", "SSO_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "SSO_STORAGE_CONNECTION_STRING": azurite.connection_string,
            "SSO_LOCAL_SECRET_STORE_PATH": str(ROOT / ".local" / f"bench-secrets-{port}.json"), "SSO_LOCAL_SECRET_STORE_KEY": secrets.token_urlsafe(32),
            "SSO_BOOTSTRAP_API_KEY": bootstrap,
        }
        host = _start_host(env)
        processes.append(host)
        directory = _directory(env["SSO_PUBLIC_BASE_URL"], bootstrap, "bench")
        print(f"building a tenant of {args.users} users and {args.groups} groups (~{args.members} members) ...", flush=True)
        spec = tenant_spec(args.users, args.groups, args.members)
        with start_simulator(config={"tenants": [spec]}) as sim:
            job_id = sim.create_provisioning_job(spec["id"], {"tenant_url": directory["scim_base_url"] + "?aadOptscim062020",
                                                              "secret_token": directory["token"], "workers": args.workers})["id"]
            if not sim.test_provisioning_connection(job_id)["ok"]:
                raise SystemExit(f"Test Connection failed: {sim.provisioning_requests(job_id)[-1]}")
            print(f"initial cycle, {args.workers} requests in flight ...", flush=True)
            load_before = load_average()
            cpu_host, cpu_storage = cpu_seconds(host.pid), cpu_seconds(azurite.process.pid)
            began = time.perf_counter()
            cycle = sim.run_provisioning_cycle(job_id)
            wall = time.perf_counter() - began
            cpu_host, cpu_storage = cpu_seconds(host.pid) - cpu_host, cpu_seconds(azurite.process.pid) - cpu_storage
            print(f"cycle counts                {cycle['counts']}")
            entries = sim.provisioning_requests(job_id, 1)
            errors = report(entries, wall)
            print(f"CPU per request             dev host {cpu_host / len(entries) * 1000:6.2f} ms   Azurite {cpu_storage / len(entries) * 1000:6.2f} ms"
                  f"   (load average before {load_before}, after {load_average()}, {os.cpu_count()} cores)")
        small = (min(args.users, 300), min(args.groups, 30))
        per_test, per_request = count_round_trips(env, *small, args.members, profile_path=args.profile)
        print(f"Table Storage round trips   per Test Connection {per_test:.1f} (target: 1)   "
              f"per request of a {small[0]}-user/{small[1]}-group cycle {per_request:.2f}")
        return 0 if errors == 0 else 1
    finally:
        for process in processes:
            process.terminate()


if __name__ == "__main__":
    sys.exit(main())
