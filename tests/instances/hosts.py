"""Another dev host: a separate process (record caches are per process, as on Azure's many
instances) with the in-process host's SSO_* settings, on the same Azurite and secret store."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from local.azurite import free_port
from tests.conftest import SECRET_WATCH

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class OtherHost:
    base_url: str
    process: subprocess.Popen
    bootstrap_key: str
    simulator: object

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_other_host(stack, **overrides: str) -> OtherHost:
    """`python -m local.devhost` with this process's SSO_* environment (set by `stack`), plus
    `overrides`; waits until it answers /api/health."""
    port = free_port()
    env = {**os.environ, **overrides}
    process = subprocess.Popen([sys.executable, "-m", "local.devhost", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    host = OtherHost(f"http://127.0.0.1:{port}", process, stack.bootstrap_key, stack.simulator)
    session = requests.Session()
    session.trust_env = False
    deadline = time.monotonic() + 90  # a loaded CI machine starts a Python process slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the second dev host exited: {process.stderr.read().decode()[-2000:]}")
        try:
            if session.get(f"{host.base_url}/api/health", timeout=2).status_code == 200:
                # urllib3's lines about the tests' own requests to this host are the test client's, as for host A
                origins = SECRET_WATCH.test_client_origin
                SECRET_WATCH.test_client_origin = (*((origins,) if isinstance(origins, str) else origins), host.base_url)
                return host
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still importing
            pass
        time.sleep(0.1)
    host.stop()
    raise RuntimeError("the second dev host did not answer /api/health")
