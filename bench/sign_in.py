"""Full OIDC sign-in round trips on the dev host with Azurite and the Entra simulator.

    .venv/bin/python -m bench.sign_in [--sign-ins 200] [--clients 8]

Each sign-in is what a browser and the app's backend do: GET /auth/sso/start, POST the
simulator's account picker, GET the callback, POST /api/sso/token. The dev host and the
simulator run as their own processes, as they would for a user. Printed: median and p95 per
sign-in, errors, the ratio to a baseline measured in the same run (GET /api/health on the same
dev host: the floor of one request), and the Table Storage round trips per sign-in (counted in
a second, in-process pass that wraps the storage SDK's transport).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

import requests

from local.azurite import ROOT, free_port, start_azurite
from local.demo import ORG, add_oidc_connection, clients, create_organization

APP_REDIRECT = "https://app.example.com/callback"
USER = "adele.vance@contoso.com"


def _query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _session(verify) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = verify
    return session


def sign_in(browser: requests.Session, backend: requests.Session, base_url: str, connection: str, api_key: str) -> None:
    started = browser.get(f"{base_url}/auth/sso/start", params={"connection": connection, "redirect_uri": APP_REDIRECT, "state": "s"}, allow_redirects=False)
    authorize = started.headers["Location"]
    form = {**_query(authorize), "username": USER}
    from_entra = browser.post(authorize.split("?")[0], data=form, allow_redirects=False)
    callback_path = from_entra.headers["Location"].split("/", 3)[3]  # to this dev host, whatever the public URL
    callback = browser.get(f"{base_url}/{callback_path}", allow_redirects=False)
    code = _query(callback.headers["Location"])["code"]
    answer = backend.post(f"{base_url}/api/sso/token", json={"code": code}, headers={"Authorization": f"Bearer {api_key}"})
    if answer.status_code != 200 or "profile" not in answer.json():
        raise RuntimeError(f"token exchange answered {answer.status_code}")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(base_url: str, ca_bundle: str, connection: str, api_key: str, total: int, concurrency: int) -> tuple[list[float], int]:
    durations: list[float] = []
    errors = 0
    lock = threading.Lock()

    def worker(count: int) -> None:
        nonlocal errors
        browser, backend = _session(ca_bundle), _session(True)
        for _ in range(count):
            began = time.perf_counter()
            try:
                sign_in(browser, backend, base_url, connection, api_key)
                with lock:
                    durations.append(time.perf_counter() - began)
            except Exception as exc:  # counted and reported: the target is zero
                with lock:
                    errors += 1
                print(f"  error: {exc}", file=sys.stderr)

    shares = [total // concurrency + (1 if i < total % concurrency else 0) for i in range(concurrency)]
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, shares))
    return durations, errors


def baseline(base_url: str, count: int) -> list[float]:
    session = _session(True)
    durations = []
    for _ in range(count):
        began = time.perf_counter()
        session.get(f"{base_url}/api/health")
        durations.append(time.perf_counter() - began)
    return durations


def count_storage_round_trips(env: dict, sim_ca_bundle: str, connection: str, api_key: str, sign_ins: int = 20) -> float:
    """Runs sign-ins against an in-process dev host and counts requests the storage SDK sends."""
    from azure.core.pipeline.transport import RequestsTransport

    os.environ.update(env)
    import function_app
    from local.devhost import make_server

    port = free_port()
    server = make_server("127.0.0.1", port, function_app.app, env["SSO_BOOTSTRAP_API_KEY"])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    counted = {"n": 0}
    storage_port = f":{env['SSO_STORAGE_CONNECTION_STRING'].split('TableEndpoint=http://127.0.0.1:')[1].split('/')[0]}/"
    original = RequestsTransport.send

    def counting_send(self, request, **kwargs):
        if storage_port in request.url:
            counted["n"] += 1
            if os.environ.get("BENCH_TRACE"):
                print("   storage:", request.method, request.url.split("?")[0][-90:], file=sys.stderr)
        return original(self, request, **kwargs)

    RequestsTransport.send = counting_send
    base = f"http://127.0.0.1:{port}"
    browser, backend = _session(sim_ca_bundle), _session(True)
    sign_in(browser, backend, base, connection, api_key)  # warm: table clients, caches, discovery, JWKS
    counted["n"] = 0
    for _ in range(sign_ins):
        sign_in(browser, backend, base, connection, api_key)
    RequestsTransport.send = original
    server.shutdown()
    return counted["n"] / sign_ins


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign-ins", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    azurite = start_azurite()
    processes = [azurite.process]
    try:
        sim = subprocess.Popen([sys.executable, "-m", "local.entra_sim", "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        processes.append(sim)
        import json

        sim_info = json.loads(sim.stdout.readline())
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        bootstrap = secrets.token_urlsafe(32)
        env = {
            "SSO_REGION": "eu", "SSO_PUBLIC_BASE_URL": base_url, "SSO_STORAGE_CONNECTION_STRING": azurite.connection_string,
            "SSO_LOCAL_SECRET_STORE_PATH": str(ROOT / ".local" / f"bench-secrets-{port}.json"), "SSO_LOCAL_SECRET_STORE_KEY": secrets.token_urlsafe(32),
            "SSO_BOOTSTRAP_API_KEY": bootstrap, "SSO_ENTRA_AUTHORITY_HOST": sim_info["authority"], "SSO_CA_BUNDLE": sim_info["ca_bundle"],
        }
        (ROOT / ".local").mkdir(exist_ok=True)
        host = subprocess.Popen([sys.executable, "-m", "local.devhost", "--port", str(port)], cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
        processes.append(host)
        for _ in range(100):
            try:
                _session(True).get(f"{base_url}/api/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        api, sim_client = clients(base_url, bootstrap, sim_info["authority"], sim_info["ca_bundle"])
        create_organization(api, APP_REDIRECT)
        connection = add_oidc_connection(api, sim_client, base_url)
        api_key = api.call("POST", "/api/api-keys", json={"organization": ORG, "name": "bench"})["key"]

        print(f"warming up, then {args.sign_ins} sign-ins with {args.clients} concurrent clients ...", flush=True)
        measure(base_url, sim_info["ca_bundle"], connection, api_key, 16, args.clients)
        floor = baseline(base_url, 200)
        durations, errors = measure(base_url, sim_info["ca_bundle"], connection, api_key, args.sign_ins, args.clients)
        median, p95, floor_median = statistics.median(durations), _percentile(durations, 0.95), statistics.median(floor)
        print(f"baseline GET /api/health    median {floor_median * 1000:7.2f} ms")
        print(f"full sign-in round trip     median {median * 1000:7.2f} ms   p95 {_percentile(durations, 0.95) * 1000:7.2f} ms   "
              f"errors {errors}/{args.sign_ins}   (target: median < 60 ms, 0 errors)")
        print(f"ratio sign-in / baseline    median {median / floor_median:7.1f}x   p95 {p95 / floor_median:7.1f}x")
        trips = count_storage_round_trips(env, sim_info["ca_bundle"], connection, api_key)
        print(f"Table Storage round trips per sign-in (warm caches): {trips:.1f}   (target: at most 5)")
        return 0 if errors == 0 else 1
    finally:
        for process in processes:
            process.terminate()


if __name__ == "__main__":
    sys.exit(main())
