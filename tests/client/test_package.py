"""The installed package is this checkout's client, typed, and mypy --strict clean."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import entra_sso_client

SOURCE = Path(__file__).resolve().parents[2] / "clients" / "python" / "src" / "entra_sso_client"
INSTALLED = Path(entra_sso_client.__file__).resolve().parent


def test_the_installed_client_is_this_checkouts():
    stale = [p.name for p in SOURCE.iterdir() if p.is_file() and (INSTALLED / p.name).read_bytes() != p.read_bytes()]
    assert INSTALLED != SOURCE and not stale, f"reinstall: .venv/bin/pip install ./clients/python ({stale})"
    assert (INSTALLED / "py.typed").is_file()


def test_the_client_passes_mypy_strict():
    checked = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, str(SOURCE)],
                             capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-2000:]
