"""Runs scripts/dev's launcher (`python -m local.up`, or scripts/dev itself) as a newcomer would,
on free ports and its own state directory, and reads what it printed."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from local.azurite import ROOT, free_port

BANNER_END = "Press Ctrl-C to stop."


def free_ports() -> list[str]:
    """Every port flag with a port of its own (0 for DNS: UDP, taken by the launcher itself)."""
    return ["--port", str(free_port()), "--app-port", str(free_port()), "--sim-port", str(free_port()),
            "--sim-browser-port", str(free_port()), "--storage-port", str(free_port()), "--dns-port", "0"]


@dataclass
class Run:
    process: subprocess.Popen
    state_dir: Path
    lines: list[str] = field(default_factory=list)
    banner: threading.Event = field(default_factory=threading.Event)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    @property
    def info(self) -> dict:
        return json.loads((self.state_dir / "instance.json").read_text())

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.process.wait(60)


def _drain(run: Run) -> None:
    for line in run.process.stdout:
        run.lines.append(line)
        if line.strip() == BANNER_END:
            run.banner.set()
    run.banner.set()  # exited: whoever waits sees it


def launch(state_dir: Path, args: list[str], *, script: bool = False) -> Run:
    """Starts it and returns at once; `wait_until_up` waits for the banner."""
    command = [str(ROOT / "scripts" / "dev")] if script else [sys.executable, "-m", "local.up"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSO_")}
    process = subprocess.Popen([*command, "--state-dir", str(state_dir), *args], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    run = Run(process, state_dir)
    threading.Thread(target=_drain, args=(run,), daemon=True).start()
    return run


def wait_until_up(run: Run) -> Run:
    run.banner.wait(300)  # a bound for a hung start only: the banner, or the process's exit, ends it
    assert BANNER_END in run.output and run.process.poll() is None, f"scripts/dev did not come up:\n{run.output}"
    return run


def finish(run: Run) -> tuple[int, str]:
    """For a run expected to refuse to start: its status and output."""
    run.banner.wait(300)  # set by the banner or by the exit, whichever comes
    if BANNER_END in run.output:  # it came up instead of refusing: stop it, then say so
        run.stop()
        raise AssertionError(f"scripts/dev was expected to refuse to start, but it ran:\n{run.output}")
    return run.process.wait(), run.output
