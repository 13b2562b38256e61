"""scripts/dev stops everything it started on SIGTERM (a service manager, `kill`, a closed
terminal) exactly as on Ctrl-C: no process left, every port free, its lock released."""
from __future__ import annotations

import os
import re
import signal

from local import instance_lock
from local.ports import PORTS, _busy
from tests.dev.launcher import free_ports, launch, wait_until_up

UDP = {spec.flag for spec in PORTS if spec.udp}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _stops_everything(run, signum) -> None:
    info = run.info
    assert info["pid"] == run.process.pid  # scripts/dev execs the launcher: the signal reaches it
    children = info["child_pids"]
    assert len(children) == 3 and all(_alive(pid) for pid in children)  # Azurite, the simulator, the dev host

    assert run.stop(signum) == 0, run.output  # stopped cleanly, not killed by the signal
    assert "stopping everything it started" in run.output and "scripts/dev: stopped" in run.output, run.output
    assert [pid for pid in children if _alive(pid)] == []
    assert [flag for flag, port in info["ports"].items() if _busy(port, flag in UDP)] == []
    instance_lock.acquire(run.state_dir, {"pid": os.getpid()}).release()  # nobody holds it any more


def _says_what_each_slow_step_does_and_how_long_it_took(output: str) -> None:
    steps = re.findall(r"^==> (.*)$", output, re.M)
    for expected in ("Python packages|pip", "npm", "browser", "Azurite", "Entra simulator", "DNS", "dev host", "seeding"):
        assert any(re.search(expected, step) for step in steps), (expected, output)
    for block in re.split(r"^==> ", output, flags=re.M)[1:]:  # every step that does work says how long it took
        if not block.startswith(("Python packages: requirements unchanged", "npm: Azurite is installed")):
            assert re.search(r"^    done in \d+\.\d s$", block, re.M), block


def test_sigterm_to_scripts_dev_stops_everything_it_started(tmp_path):
    run = wait_until_up(launch(tmp_path / "state", free_ports(), script=True))
    _says_what_each_slow_step_does_and_how_long_it_took(run.output)
    _stops_everything(run, signal.SIGTERM)


def test_ctrl_c_stops_everything_too(tmp_path):
    _stops_everything(wait_until_up(launch(tmp_path / "state", free_ports())), signal.SIGINT)
