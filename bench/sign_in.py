"""Full OIDC sign-ins on the dev host with Azurite and the Entra simulator: where the time goes.

    .venv/bin/python -m bench.sign_in [--sign-ins 200] [--clients 1 8] [--first 3] [--profile FILE] [--parts N]

Each sign-in is what a browser and the app's backend do: GET /auth/sso/start, POST the
simulator's account picker, GET the callback, POST /api/sso/token. The dev host, Azurite and the
simulator run as their own processes, as they would for a user. Printed, for each number of
concurrent clients:
- CPU per sign-in of each process (dev host, Azurite, simulator, this bench client), read from
  /proc (utime + stime of the process and its children): unlike wall time it hardly moves when
  other work shares the machine, so it is the figure to compare;
- sign-ins per second, median / p95 / p99 wall time, errors;
- the ratio to a baseline measured in the same run (GET /api/health: the floor of one request).
Then the Table Storage round trips per sign-in (an in-process pass counting the HTTP requests to
Azurite's port), and with `--first N` the first sign-in after a dev host start against warm
ones, over N fresh dev hosts. `--profile FILE` samples the dev host with py-spy during the last
measured run (FILE: a speedscope profile; the functions with the most samples are printed).
`--parts N` runs N more sign-ins on an in-process dev host and prints the thread CPU of each part
of the path (bench/parts.py): the figures to trust for shares, where py-spy's are skewed by I/O.
Every figure comes with the load average, because the machine may be shared.
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from local.azurite import ROOT, free_port, start_azurite
from local.demo import ORG, add_oidc_connection, clients, create_organization
from local.storage_count import storage_requests

APP_REDIRECT = "https://app.example.com/callback"
USER = "adele.vance@contoso.com"
TICKS = os.sysconf("SC_CLK_TCK")


def _query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _session(verify) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = verify
    return session


STEPS = ("start", "Entra", "callback", "token")


def sign_in(browser: requests.Session, backend: requests.Session, base_url: str, connection: str, api_key: str, steps: list[float] | None = None) -> None:
    """One sign-in; `steps` (if given) receives the wall time of each of STEPS."""
    steps = steps if steps is not None else []
    began = time.perf_counter()
    started = browser.get(f"{base_url}/auth/sso/start", params={"connection": connection, "redirect_uri": APP_REDIRECT, "state": "s"}, allow_redirects=False)
    if started.status_code != 302:
        raise RuntimeError(f"start answered {started.status_code}: {started.text[:200]}")
    steps.append(time.perf_counter() - began)
    authorize = started.headers["Location"]
    form = {**_query(authorize), "username": USER}
    began = time.perf_counter()
    from_entra = browser.post(authorize.split("?")[0], data=form, allow_redirects=False)
    steps.append(time.perf_counter() - began)
    callback_path = from_entra.headers["Location"].split("/", 3)[3]  # to this dev host, whatever the public URL
    began = time.perf_counter()
    callback = browser.get(f"{base_url}/{callback_path}", allow_redirects=False)
    steps.append(time.perf_counter() - began)
    if callback.status_code != 302 or "code=" not in callback.headers.get("Location", ""):
        raise RuntimeError(f"callback answered {callback.status_code}: {callback.text[:200]}")
    code = _query(callback.headers["Location"])["code"]
    began = time.perf_counter()
    answer = backend.post(f"{base_url}/api/sso/token", json={"code": code}, headers={"Authorization": f"Bearer {api_key}"})
    steps.append(time.perf_counter() - began)
    if answer.status_code != 200 or "profile" not in answer.json():
        raise RuntimeError(f"token exchange answered {answer.status_code}")


# --- CPU from /proc -------------------------------------------------------------------------

def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()  # fields from `state` on (the name may hold spaces)


def cpu_seconds(pid: int) -> float:
    """CPU time of `pid` and its live descendants (and the children they have reaped)."""
    parents: dict[int, list[int]] = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields:
                parents[int(fields[1])].append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        fields = _stat(current)
        if fields:
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        todo.extend(parents.get(current, []))
    return total / TICKS


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- load -----------------------------------------------------------------------------------

def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(base_url: str, ca_bundle: str, connection: str, api_key: str, total: int, concurrency: int) -> tuple[list[float], int, float]:
    """Wall times of `total` sign-ins by `concurrency` clients, the errors, and the run's wall time."""
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
    began = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, shares))
    return durations, errors, time.perf_counter() - began


def baseline(base_url: str, count: int) -> list[float]:
    session = _session(True)
    durations = []
    for _ in range(count):
        began = time.perf_counter()
        session.get(f"{base_url}/api/health")
        durations.append(time.perf_counter() - began)
    return durations


# --- the stack ------------------------------------------------------------------------------

@dataclass
class Stack:
    env: dict
    sim_ca_bundle: str
    azurite_pid: int
    sim_pid: int
    sim_authority: str = ""
    connection: str = ""
    api_key: str = ""


def start_host(env: dict, port: int, root: Path = ROOT) -> subprocess.Popen:
    """A dev host of the checkout at `root`, ready once it listens (it runs the app's warm-up
    before that, as the Functions host does before sending an instance traffic). Nothing is
    requested, so nothing else is warmed."""
    host = subprocess.Popen([sys.executable, "-m", "local.devhost", "--port", str(port)], cwd=root, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    for _ in range(600):
        if host.poll() is not None:
            raise RuntimeError("the dev host exited at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return host
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the dev host did not listen")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@contextlib.contextmanager
def in_process_host(stack: Stack) -> Iterator[Callable[[], None]]:
    """A dev host in this process (so its functions can be watched), warmed by one sign-in;
    yields a function that signs in once more. One per process: the app's functions can be
    collected only once."""
    os.environ.update(stack.env)
    import function_app
    from local.devhost import make_server

    port = free_port()
    server = make_server("127.0.0.1", port, function_app.app, stack.env["SSO_BOOTSTRAP_API_KEY"])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{port}"
        browser, backend = _session(stack.sim_ca_bundle), _session(True)
        sign_in(browser, backend, base, stack.connection, stack.api_key)  # warm: clients, caches, discovery, JWKS
        yield lambda: sign_in(browser, backend, base, stack.connection, stack.api_key)
    finally:
        server.shutdown()


def count_storage_round_trips(stack: Stack, one_more: Callable[[], None], sign_ins: int = 20) -> float:
    """The HTTP requests the in-process dev host sends to Azurite's port per sign-in
    (local/storage_count.py: at http.client and at shared/platform/http1's connections)."""
    with storage_requests(stack.env["SSO_STORAGE_CONNECTION_STRING"]) as counted:
        for _ in range(sign_ins):
            one_more()
    return len(counted) / sign_ins


def cpu_by_parts(one_more: Callable[[], None], sign_ins: int) -> None:
    """bench/parts.py's thread CPU per part, over `sign_ins` sign-ins of the in-process dev host."""
    from bench.parts import cpu_by_part, report, sign_in_parts

    parts = sign_in_parts()
    with cpu_by_part(parts) as tally:
        for _ in range(sign_ins):
            one_more()
    report(tally, parts, sign_ins)


class Profiler:
    """py-spy sampling the dev host (all threads) while it runs; `stop` writes FILE and prints the
    functions seen most often (self, then inclusive) from a second, collapsed-stack file."""

    def __init__(self, pid: int, path: str):
        executable = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if not Path(executable).exists():
            raise SystemExit("--profile needs py-spy (requirements-dev.txt): .venv/bin/pip install -r requirements-dev.txt")
        self.path, self.raw = path, path + ".collapsed.txt"
        common = [executable, "record", "--pid", str(pid), "--rate", "250", "--threads", "--nonblocking", *(["--gil"] if os.environ.get("BENCH_GIL") else [])]
        self.processes = [
            subprocess.Popen([*common, "--format", "speedscope", "-o", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            subprocess.Popen([*common, "--format", "raw", "-o", self.raw], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        ]
        time.sleep(1.0)  # py-spy attaches

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGINT)
        for process in self.processes:
            process.wait(30)
        own: collections.Counter = collections.Counter()
        inclusive: collections.Counter = collections.Counter()
        total = 0
        for line in Path(self.raw).read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = [f for f in stack.split(";") if not f.startswith("thread (")]
            # busy samples only: a thread waiting in a socket read or accept costs no CPU
            if not frames or any(word in frames[-1] for word in ("select", "accept", "wait (threading", "readinto", "recv_into", "_wait_for_tstate_lock")):
                continue
            total += int(count)
            own[frames[-1]] += int(count)
            for frame in set(frames):
                inclusive[frame] += int(count)
        print(f"profile: {self.path} (speedscope.app), {total} busy samples; busiest functions (self):")
        for frame, count in own.most_common(12):
            print(f"  {100 * count / max(total, 1):5.1f}%  {frame[:110]}")
        print("inclusive, our code and the libraries' entry points:")
        shown = [(f, c) for f, c in inclusive.most_common(400) if any(k in f for k in ("shared/", "azure/", "msal/", "devhost", "requests/sessions"))]
        for frame, count in shown[:18]:
            print(f"  {100 * count / max(total, 1):5.1f}%  {frame[:110]}")


@dataclass
class Run:
    cpu_ms: dict[str, float]  # per sign-in, by process
    rate: float
    median_ms: float
    p95_ms: float
    p99_ms: float
    errors: int


def run_clients(stack: Stack, base_url: str, host: subprocess.Popen, total: int, concurrency: int, profile: str | None, label: str = "") -> Run:
    measure(base_url, stack.sim_ca_bundle, stack.connection, stack.api_key, 16, concurrency)  # warm
    pids = {"dev host": host.pid, "Azurite": stack.azurite_pid, "simulator": stack.sim_pid, "bench client": os.getpid()}
    profiler = Profiler(host.pid, profile) if profile else None
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    durations, errors, wall = measure(base_url, stack.sim_ca_bundle, stack.connection, stack.api_key, total, concurrency)
    after = {name: cpu_seconds(pid) for name, pid in pids.items()}
    done = max(len(durations), 1)
    # this process's figure counts its descendants (the dev host, Azurite, the simulator): its own is the rest
    others = sum(after[name] - before[name] for name in pids if name != "bench client")
    after["bench client"] -= others
    run = Run({name: (after[name] - before[name]) * 1000 / done for name in pids}, len(durations) / wall, statistics.median(durations) * 1000,
              _percentile(durations, 0.95) * 1000, _percentile(durations, 0.99) * 1000, errors)
    print(f"{label}{concurrency} client(s), {total} sign-ins, load average {load_average()}")
    print("  CPU per sign-in   " + "   ".join(f"{name} {ms:6.2f} ms" for name, ms in run.cpu_ms.items()))
    # cores kept busy = CPU per sign-in x sign-ins per second: the one near 1.0 bounds the rate
    # (Azurite is one Node thread; the dev host's Python is one interpreter lock)
    print("  cores busy        " + "   ".join(f"{name} {ms * run.rate / 1000:5.2f}" for name, ms in run.cpu_ms.items()))
    print(f"  {run.rate:6.1f} sign-ins/s   median {run.median_ms:6.1f} ms   p95 {run.p95_ms:6.1f} ms   p99 {run.p99_ms:6.1f} ms   errors {errors}/{total}")
    if profiler:  # before the baseline's requests, so the profile is of sign-ins only
        profiler.stop()
    floor = statistics.median(baseline(base_url, 100))
    print(f"  baseline GET /api/health median {floor * 1000:5.2f} ms;  ratio sign-in / baseline {run.median_ms / 1000 / floor:5.1f}x")
    return run


def compare(stack: Stack, hosts: dict[str, tuple[str, subprocess.Popen]], total: int, concurrency: int, rounds: int) -> None:
    """The same load on each dev host in turn, `rounds` times (ABBA order, so drift in the
    machine's load falls on both alike): each host's median figures and their ratio."""
    runs: dict[str, list[Run]] = {name: [] for name in hosts}
    for index in range(rounds):
        for name in (hosts if index % 2 == 0 else reversed(list(hosts))):
            base_url, host = hosts[name]
            runs[name].append(run_clients(stack, base_url, host, total, concurrency, None, label=f"[{name}] "))
    (old, old_runs), (new, new_runs) = runs.items()

    def med(items: list[Run], pick) -> float:
        return statistics.median(pick(r) for r in items)

    print(f"== {concurrency} client(s): {new} against {old}, medians of {rounds} runs each, load average {load_average()}")
    for title, pick, unit in (("dev host CPU per sign-in", lambda r: r.cpu_ms["dev host"], "ms"), ("Azurite CPU per sign-in", lambda r: r.cpu_ms["Azurite"], "ms"),
                              ("sign-ins per second", lambda r: r.rate, "/s"), ("median sign-in", lambda r: r.median_ms, "ms"),
                              ("p95 sign-in", lambda r: r.p95_ms, "ms")):
        a, b = med(old_runs, pick), med(new_runs, pick)
        print(f"   {title:26s} {old} {a:7.2f} {unit}   {new} {b:7.2f} {unit}   ratio {b / a:5.2f}x")
    if any(r.errors for r in old_runs + new_runs):
        raise SystemExit(1)


def first_after_start(stack: Stack, starts: int, warm: int = 20) -> None:
    """Fresh dev hosts on the same storage (tables exist, as after a deployment): the first sign-in
    of each against the warm ones that follow, in wall time and in the dev host's CPU."""
    firsts, first_cpu, warms, warm_cpu = [], [], [], []
    first_steps: list[list[float]] = []
    warm_steps: list[list[float]] = []
    for _ in range(starts):
        port = free_port()
        host = start_host(stack.env, port)  # same public URL: the one the app registration names
        try:
            base = f"http://127.0.0.1:{port}"
            browser, backend = _session(stack.sim_ca_bundle), _session(True)
            # The clients' own first connections (TCP, TLS, loading the CA file) are not the
            # instance's first-sign-in cost: opened before, on paths that run no app code.
            browser.get(f"{stack.sim_authority}/_bench_connect")
            browser.get(f"{base}/_bench_connect")
            backend.get(f"{base}/_bench_connect")
            cpu = cpu_seconds(host.pid)
            began = time.perf_counter()
            first_steps.append([])
            sign_in(browser, backend, base, stack.connection, stack.api_key, first_steps[-1])
            firsts.append(time.perf_counter() - began)
            first_cpu.append(cpu_seconds(host.pid) - cpu)
            cpu = cpu_seconds(host.pid)
            for _ in range(warm):
                began = time.perf_counter()
                warm_steps.append([])
                sign_in(browser, backend, base, stack.connection, stack.api_key, warm_steps[-1])
                warms.append(time.perf_counter() - began)
            warm_cpu.append((cpu_seconds(host.pid) - cpu) / warm)
        finally:
            stop(host)
    first, steady = statistics.median(firsts), statistics.median(warms)
    print(f"first sign-in after a start ({starts} starts, load average {load_average()})")
    print(f"  first  median {first * 1000:6.1f} ms (each: {', '.join(f'{f * 1000:.0f}' for f in firsts)})   dev host CPU {statistics.median(first_cpu) * 1000:6.1f} ms")
    print(f"  warm   median {steady * 1000:6.1f} ms                       dev host CPU {statistics.median(warm_cpu) * 1000:6.1f} ms")
    print(f"  first - warm  {(first - steady) * 1000:6.1f} ms   (target: at most 50 ms)")
    print("  by step, first / warm (medians): " + "   ".join(
        f"{name} {statistics.median(s[i] for s in first_steps) * 1000:.0f} / {statistics.median(s[i] for s in warm_steps) * 1000:.0f} ms" for i, name in enumerate(STEPS)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign-ins", type=int, default=200)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--first", type=int, default=0, metavar="N", help="also time the first sign-in after N fresh dev host starts")
    parser.add_argument("--profile", metavar="FILE", help="py-spy profile of the dev host during the last run (speedscope JSON)")
    parser.add_argument("--no-round-trips", action="store_true", help="skip the in-process count of Table Storage requests")
    parser.add_argument("--parts", type=int, default=0, metavar="N", help="also N in-process sign-ins, printing the dev host's CPU per part (bench/parts.py)")
    parser.add_argument("--baseline-root", metavar="DIR", help="another checkout (e.g. main's worktree): its dev host takes the same load in turns with this one's")
    parser.add_argument("--rounds", type=int, default=2, help="with --baseline-root: runs per host and number of clients")
    args = parser.parse_args()

    azurite = start_azurite()
    processes = [azurite.process]
    try:
        sim = subprocess.Popen([sys.executable, "-m", "local.entra_sim", "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        processes.append(sim)
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
        host = start_host(env, port)
        processes.append(host)
        stack = Stack(env, sim_info["ca_bundle"], azurite.process.pid, sim.pid, sim_info["authority"])
        api, sim_client = clients(base_url, bootstrap, sim_info["authority"], sim_info["ca_bundle"])
        create_organization(api, APP_REDIRECT)
        # The simulator redirects to the registered URI; every dev host of this run shares it.
        stack.connection = add_oidc_connection(api, sim_client, base_url)
        stack.api_key = api.call("POST", "/api/api-keys", json={"organization": ORG, "name": "bench"})["key"]

        if args.baseline_root:
            other_port = free_port()
            other = start_host(env, other_port, Path(args.baseline_root))
            processes.append(other)
            hosts = {"baseline": (f"http://127.0.0.1:{other_port}", other), "this": (base_url, host)}
            for concurrency in args.clients:
                compare(stack, hosts, args.sign_ins, concurrency, args.rounds)
        for index, concurrency in enumerate(args.clients if not args.baseline_root else []):
            if run_clients(stack, base_url, host, args.sign_ins, concurrency, args.profile if index == len(args.clients) - 1 else None).errors:
                return 1
        if args.first:
            first_after_start(stack, args.first)
        if args.parts or not args.no_round_trips:
            with in_process_host(stack) as one_more:
                if args.parts:
                    cpu_by_parts(one_more, args.parts)
                if not args.no_round_trips:
                    trips = count_storage_round_trips(stack, one_more)
                    print(f"Table Storage round trips per sign-in (warm caches): {trips:.1f}   (target: at most 5)")
        return 0
    finally:
        for process in reversed(processes):
            stop(process)


if __name__ == "__main__":
    sys.exit(main())
