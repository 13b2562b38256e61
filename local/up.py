"""Brings the whole thing up locally: Azurite (in memory), the Entra simulator, a loopback DNS
server, the dev host, a demo organization with an OIDC and a SAML connection, and a sample app;
prints where to click.

    scripts/dev [--port 7071] [--app-port 7080] ...   (installs what is missing, then runs this)
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from local import dns, instance_lock, ports
from local.azurite import ROOT, _die_with_parent, free_port, start_azurite
from local.demo import CONTOSO, add_directory, portal_link, second_tenant_app, seed_demo
from local.demo_shared_app import demo_shared_app, shared_app_settings
from local.sample_app import make_sample_app

STATE_DIR = ROOT / ".local"
INSTANCE_FILE = "instance.json"  # where this run's URLs and bootstrap key are, for scripts and tests


class Stop(Exception):
    """SIGTERM or SIGHUP: stop everything, as Ctrl-C does."""


@contextmanager
def _step(message: str):
    print(f"==> {message}", flush=True)
    started = time.monotonic()
    yield
    print(f"    done in {time.monotonic() - started:.1f} s", flush=True)


def _start_simulator(state_dir: Path, port: int, browser_port: int, env: dict) -> tuple[subprocess.Popen, dict]:
    sim_dir = state_dir / "entra-sim"
    sim_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen([sys.executable, "-m", "local.entra_sim", "--port", str(port), "--browser-port", str(browser_port),
                                "--state-dir", str(sim_dir)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, preexec_fn=_die_with_parent)
    line = process.stdout.readline()
    if not line:
        process.wait()
        raise SystemExit("the Entra simulator did not start (its error is above); run `python -m local.entra_sim --verbose` to see more")
    return process, json.loads(line)


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 120.0) -> None:
    session = requests.Session()
    session.trust_env = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the dev host exited with status {process.returncode}; its error is above")
        try:
            session.get(url, timeout=10)  # a loaded machine answers slowly; that is not down
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scripts/dev", description=" ".join(__doc__.split("\n\n")[0].split()))
    for spec in ports.PORTS:
        parser.add_argument(spec.flag, type=int, default=spec.default, dest=spec.dest,
                            help=f"port for {spec.what} (default {spec.default}; 0: any free port)")
    parser.add_argument("--state-dir", type=Path, default=STATE_DIR,
                        help="where this run keeps its files (default .local/); one scripts/dev per directory")
    return parser


def _stop_on_signal(signum, frame):
    raise Stop(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Before anything is started or touched: a busy port is named with its flag, and another
    # scripts/dev on the same state directory keeps its files.
    problem = ports.check(args)
    if problem:
        print(f"scripts/dev: {problem}", file=sys.stderr)
        return 2
    # The service's and the app's URLs are made before they listen: a free port is chosen here.
    args.port, args.app_port = args.port or free_port(), args.app_port or free_port()
    state_dir: Path = args.state_dir.resolve()
    try:
        lock = instance_lock.acquire(state_dir, {"pid": os.getpid(), "ports": ports.chosen(args)})
    except instance_lock.Held as held:
        print(f"scripts/dev: {held}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    processes: list[subprocess.Popen] = []
    servers = []
    try:
        with _step(f"clearing {state_dir} (the last run's storage is in memory and gone; so are its keys)"):
            instance_lock.clear_except_lock(state_dir)

        with _step("starting Azurite (Table Storage, in memory)"):
            azurite = start_azurite(args.storage_port or None)
            processes.append(azurite.process)

        with _step("starting the Entra simulator (new CA and signing keys)"):
            simulator, sim = _start_simulator(state_dir, args.sim_port, args.sim_browser_port, dict(os.environ))
            processes.append(simulator)

        records = state_dir / dns.RECORDS_FILE
        with _step("starting the loopback DNS server (TXT records for domain verification)"):
            dns_server = dns.start_dns(records, args.dns_port)
            servers.append(dns_server)
            dns_port = dns_server.server.server_address[1]

        base_url = f"http://127.0.0.1:{args.port}"
        bootstrap_key = secrets.token_urlsafe(32)
        settings = {
            "SSO_REGION": "eu",
            "SSO_PUBLIC_BASE_URL": base_url,
            "SSO_STORAGE_CONNECTION_STRING": azurite.connection_string,
            "SSO_LOCAL_SECRET_STORE_PATH": str(state_dir / "secrets.json"),
            "SSO_LOCAL_SECRET_STORE_KEY": secrets.token_urlsafe(32),
            "SSO_BOOTSTRAP_API_KEY": bootstrap_key,
            "SSO_ENTRA_AUTHORITY_HOST": sim["authority"],
            "SSO_CA_BUNDLE": sim["ca_bundle"],
            "SSO_ALLOW_LOOPBACK_METADATA": "true",
            "SSO_DNS_RESOLVER": f"127.0.0.1:{dns_port}",
        }
        settings.update(shared_app_settings(sim["authority"], sim["ca_bundle"], base_url))  # issue 15: the stamp's own app
        with _step(f"starting the dev host on {base_url} (imports function_app)"):
            devhost = subprocess.Popen([sys.executable, "-m", "local.devhost", "--port", str(args.port)], cwd=ROOT,
                                       env={**os.environ, **settings}, preexec_fn=_die_with_parent)
            processes.append(devhost)
            _wait_for(f"{base_url}/api/health", devhost)

        app_url = f"http://127.0.0.1:{args.app_port}/"
        with _step("seeding the demo organization (contoso.com verified; OIDC + SAML connections to the simulator's Contoso)"):
            demo = seed_demo(base_url=base_url, bootstrap_key=bootstrap_key, sim_authority=sim["authority"],
                             sim_ca_bundle=sim["ca_bundle"], app_redirect_uri=f"{app_url}callback",
                             publish_txt=lambda name, value: dns.publish(records, name, value))
            servers.append(make_sample_app(args.app_port, base_url, demo))

        with _step("provisioning the simulator's Contoso users and groups into a directory of the demo org (SCIM)"):
            directory = add_directory(base_url=base_url, bootstrap_key=bootstrap_key, sim_authority=sim["authority"],
                                      sim_ca_bundle=sim["ca_bundle"], connection=demo.oidc_connection)
        directory_lines = (
            f"  Directory sync:   {directory.id} filled by the simulator ({directory.summary}); it re-syncs every 10 s. Watch:\n"
            f"                    curl -H \"Authorization: Bearer {bootstrap_key}\" {directory.events_url}\n"
            f"                    (change a user: PATCH {sim['authority']}/_sim/tenants/{CONTOSO['id']}/users/<oid> "
            "{\"account_enabled\": false})")

        with _step("registering an app in the simulator's second tenant (Fabrikam), to connect through the setup portal"):
            fabrikam = second_tenant_app(base_url=base_url, bootstrap_key=bootstrap_key, sim_authority=sim["authority"],
                                         sim_ca_bundle=sim["ca_bundle"])
        portal_lines = (
            "  Try the portal:   open the setup portal link below and connect the simulator's second tenant, Fabrikam\n"
            f"                    OIDC: Tenant ID {fabrikam.tenant_id}  Client ID {fabrikam.client_id}\n"
            f"                          client secret {fabrikam.client_secret} (expires 2099-12-31)\n"
            f"                    SAML: App Federation Metadata URL {fabrikam.saml_metadata_url}; Entra's enterprise app, with\n"
            "                          the Identifier and Reply URL the portal shows:\n"
            f"                          {fabrikam.saml_app_command}\n"
            "                    then sign in as jane.doe@fabrikam.com (the portal's Test sign-in)")

        with _step("the shared app: a one-click connection and a personal-account sign-in"):  # issue 15
            shared_app_lines = demo_shared_app(base_url=base_url, bootstrap_key=bootstrap_key, sim_authority=sim["authority"],
                                               sim_ca_bundle=sim["ca_bundle"], app_redirect_uri=f"{app_url}callback")
        instance = {"pid": os.getpid(), "app_url": app_url, "base_url": base_url, "bootstrap_key": bootstrap_key,
                    "organization": demo.organization, "oidc_connection": demo.oidc_connection,
                    "saml_connection": demo.saml_connection, "entra_authority": sim["authority"],
                    "entra_browser_origin": sim["browser_origin"], "entra_ca_bundle": sim["ca_bundle"],
                    "dns_resolver": settings["SSO_DNS_RESOLVER"], "dns_records": str(records),
                    "child_pids": [p.pid for p in processes],
                    "ports": {**ports.chosen(args), "--sim-port": int(sim["authority"].rsplit(":", 1)[1]),
                              "--sim-browser-port": int(sim["browser_origin"].rsplit(":", 1)[1]),
                              "--storage-port": azurite.port, "--dns-port": dns_port}}
        instance_lock.write_private(state_dir / INSTANCE_FILE, json.dumps(instance, indent=2))
        print("\n".join(shared_app_lines), flush=True)
        print(directory_lines, flush=True)
        print(portal_lines, flush=True)
        print(_banner(args, state_dir, instance, demo, portal_link(base_url, bootstrap_key, demo.organization)), flush=True)
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("scripts/dev: a component exited (its error is above); stopping the others", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Stop) as stop:
        print(f"\nscripts/dev: {'Ctrl-C' if isinstance(stop, KeyboardInterrupt) else stop}: stopping everything it started",
              file=sys.stderr, flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the clean-up short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for server in servers:
            _stop_server(server)
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        lock.release()
        print("scripts/dev: stopped", file=sys.stderr, flush=True)


def _stop_server(server) -> None:
    if hasattr(server, "stop"):  # dnslib's DNSServer
        server.stop()
        server.server.server_close()
    else:
        server.shutdown()
        server.server_close()


def _banner(args, state_dir: Path, instance: dict, demo, portal: str) -> str:
    dns_host, dns_port = instance["dns_resolver"].split(":")
    where = "" if state_dir == STATE_DIR.resolve() else f" --state-dir {state_dir}"
    publish = f".venv/bin/python -m local.dns{where} publish"
    return f"""
entra-sso is running locally.

  Sign in:          {instance["app_url"]}   (any browser; click "Sign in with Microsoft", pick a user)
  Demo users:       {", ".join(demo.users)}
  Certificates:     nothing to trust or click through: every page the browser opens is plain HTTP on
                    loopback (the sample app, the service, and the simulator's sign-in pages on
                    {instance["entra_browser_origin"]}, which browsers treat as secure contexts). Only the
                    service's back-channel calls use the simulator's HTTPS {instance["entra_authority"]}, with
                    its own CA {instance["entra_ca_bundle"]} (trusted through SSO_CA_BUNDLE, nowhere else).
  Service:          {instance["base_url"]}   (admin API: Authorization: Bearer {instance["bootstrap_key"]})
  Organization:     {demo.organization} ({", ".join(demo.verified_domains) or "no"} verified)  OIDC {demo.oidc_connection}  SAML {demo.saml_connection}
  DNS:              {dns_host} port {dns_port} (UDP; the service resolves through it). Verify a domain:
                      POST /api/organizations/demo/domains {{"domain": "example.com"}}, then
                      {publish} <txt_record.name> <txt_record.value>
                      POST /api/organizations/demo/domains/example.com/verify
                    records: {instance["dns_records"]}
  Setup portal:     {portal}
                    (one-time link for the org's IT admin, open within 5 minutes; a new one:
                     curl -X POST -H "Authorization: Bearer {instance["bootstrap_key"]}" -H "Content-Type: application/json" \\
                       -d '{{"intent": "sso"}}' {instance["base_url"]}/api/organizations/{demo.organization}/portal-links)
  This run:         {state_dir / INSTANCE_FILE} (URLs and key as JSON); ports change with
                    {" ".join(f"{s.flag} N" for s in ports.PORTS)}

Press Ctrl-C to stop."""


if __name__ == "__main__":
    sys.exit(main())
