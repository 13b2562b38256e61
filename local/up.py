"""Brings the whole thing up locally: Azurite (in memory), the Entra simulator, the dev host, a
demo organization with an OIDC and a SAML connection, and a sample app; prints where to click.

    scripts/dev            (installs what is missing, then runs this)
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time

import requests

from local.azurite import ROOT, start_azurite
from local.demo import CONTOSO, add_directory, seed_demo
from local.sample_app import make_sample_app

STATE_DIR = ROOT / ".local"


def _step(message: str) -> None:
    print(f"==> {message}", flush=True)


def _start_simulator(env: dict) -> tuple[subprocess.Popen, dict]:
    sim_dir = STATE_DIR / "entra-sim"
    sim_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen([sys.executable, "-m", "local.entra_sim", "--port", "0", "--state-dir", str(sim_dir)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if not line:
        raise SystemExit("the Entra simulator did not start; run `python -m local.entra_sim --verbose` to see why")
    return process, json.loads(line)


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    session = requests.Session()
    session.trust_env = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the dev host exited with status {process.returncode}; its error is above")
        try:
            session.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7071, help="dev host port (default 7071)")
    parser.add_argument("--app-port", type=int, default=7080, help="sample app port (default 7080)")
    args = parser.parse_args(argv)

    shutil.rmtree(STATE_DIR, ignore_errors=True)
    STATE_DIR.mkdir()
    processes: list[subprocess.Popen] = []
    try:
        _step("starting Azurite (Table Storage, in memory)")
        azurite = start_azurite()
        processes.append(azurite.process)

        _step("starting the Entra simulator")
        simulator, sim = _start_simulator(dict(os.environ))
        processes.append(simulator)

        base_url = f"http://127.0.0.1:{args.port}"
        bootstrap_key = secrets.token_urlsafe(32)
        settings = {
            "SSO_REGION": "eu",
            "SSO_PUBLIC_BASE_URL": base_url,
            "SSO_STORAGE_CONNECTION_STRING": azurite.connection_string,
            "SSO_LOCAL_SECRET_STORE_PATH": str(STATE_DIR / "secrets.json"),
            "SSO_LOCAL_SECRET_STORE_KEY": secrets.token_urlsafe(32),
            "SSO_BOOTSTRAP_API_KEY": bootstrap_key,
            "SSO_ENTRA_AUTHORITY_HOST": sim["authority"],
            "SSO_CA_BUNDLE": sim["ca_bundle"],
            "SSO_ALLOW_LOOPBACK_METADATA": "true",
        }
        _step(f"starting the dev host on {base_url}")
        devhost = subprocess.Popen([sys.executable, "-m", "local.devhost", "--port", str(args.port)], cwd=ROOT, env={**os.environ, **settings})
        processes.append(devhost)
        _wait_for(f"{base_url}/api/health", devhost)

        _step("seeding the demo organization (OIDC + SAML connections to the simulator's Contoso tenant)")
        demo = seed_demo(base_url=base_url, bootstrap_key=bootstrap_key, sim_authority=sim["authority"],
                         sim_ca_bundle=sim["ca_bundle"], app_redirect_uri=f"http://127.0.0.1:{args.app_port}/callback")
        make_sample_app(args.app_port, base_url, demo)
        _step("provisioning the simulator's Contoso users and groups into a directory of the demo org (SCIM)")
        directory = add_directory(base_url=base_url, bootstrap_key=bootstrap_key, sim_authority=sim["authority"],
                                  sim_ca_bundle=sim["ca_bundle"], connection=demo.oidc_connection)

        print(f"""
entra-sso is running locally.

  Sign in:          http://127.0.0.1:{args.app_port}/   (click "Sign in with Microsoft", pick a user)
  Demo users:       {", ".join(demo.users)}
  Service:          {base_url}   (admin API: Authorization: Bearer {bootstrap_key})
  Entra simulator:  {sim["authority"]}   (CA: {sim["ca_bundle"]})
  Organization:     {demo.organization}  OIDC {demo.oidc_connection}  SAML {demo.saml_connection}
  Directory sync:   {directory.id} filled by the simulator ({directory.summary}); it re-syncs every 10 s. Watch:
                    curl -H "Authorization: Bearer {bootstrap_key}" {directory.events_url}
                    (change a user: PATCH {sim["authority"]}/_sim/tenants/{CONTOSO["id"]}/users/<oid> {{"account_enabled": false}})

Press Ctrl-C to stop.""", flush=True)
        while all(p.poll() is None for p in processes):
            time.sleep(1)
        print("a component exited; stopping", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())
