"""Starts Azurite's Table service (npm package, installed by package.json) in memory on loopback."""
from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AZURITE_BIN = ROOT / "node_modules" / ".bin" / "azurite-table"
# Azurite's well-known development account (public, documented by Microsoft; not a secret).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass
class Azurite:
    process: subprocess.Popen
    port: int

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"TableEndpoint=http://127.0.0.1:{self.port}/{ACCOUNT};"
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _die_with_parent() -> None:
    """Linux: Azurite gets SIGTERM when the process that started it dies (a killed test run must
    not leave emulators behind)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_azurite(port: int | None = None, timeout: float = 90.0, extra_args: tuple[str, ...] = ()) -> Azurite:
    """`extra_args`: more of Azurite's options (e.g. --oauth basic with --cert/--key, for HTTPS).
    `timeout`: generous, as node starts slowly on a machine shared by many test runs."""
    if not AZURITE_BIN.exists():
        raise RuntimeError(f"Azurite is not installed: run `npm ci` in {ROOT} (scripts/test does it for you).")
    port = port or free_port()
    process = subprocess.Popen(
        [str(AZURITE_BIN), "--inMemoryPersistence", "--silent", "--disableTelemetry", "--skipApiVersionCheck",
         "--tableHost", "127.0.0.1", "--tablePort", str(port), *extra_args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env={**os.environ}, preexec_fn=_die_with_parent,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Azurite exited at start: {process.stderr.read().decode(errors='replace')[-500:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return Azurite(process, port)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"Azurite did not listen on port {port} within {timeout:.0f} s")
