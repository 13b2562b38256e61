"""A second scripts/dev: a busy port is named with the flag that changes it, and the running
one's state directory is neither deleted nor overwritten; the first keeps serving."""
from __future__ import annotations

import socket

import pytest

from local.azurite import free_port
from local.ports import PORTS
from tests.dev.conftest import Http
from tests.dev.launcher import finish, free_ports, launch


def _files(state_dir) -> dict[str, bytes]:
    return {str(p.relative_to(state_dir)): p.read_bytes() for p in sorted(state_dir.rglob("*")) if p.is_file()}


def _still_working(dev) -> None:
    info = dev.info
    assert dev.process.poll() is None
    admin = Http(headers={"Authorization": f"Bearer {info['bootstrap_key']}"})
    assert admin.get(f"{info['base_url']}/api/organizations/demo").status_code == 200
    started = Http().get(info["app_url"])
    assert started.status_code == 200 and "sign-in-oidc" in started.text


def test_a_second_instance_on_the_same_ports_names_the_port_and_its_flag(dev, tmp_path):
    before = _files(dev.state_dir)
    same_ports = [str(v) for flag, port in dev.info["ports"].items() for v in (flag, port)]
    status, output = finish(launch(tmp_path / "other-checkout", same_ports))
    assert status == 2
    assert f"port {dev.info['ports']['--port']}" in output and "--port N" in output, output
    assert "Traceback" not in output
    assert not (tmp_path / "other-checkout").exists()  # refused before it touched anything
    assert _files(dev.state_dir) == before
    _still_working(dev)


def test_a_second_instance_on_the_same_state_directory_leaves_its_files_alone(dev):
    before = _files(dev.state_dir)
    assert before  # secrets, the simulator's CA, DNS records, instance.json
    status, output = finish(launch(dev.state_dir, free_ports()))
    assert status == 2
    assert f"another scripts/dev (pid {dev.process.pid})" in output and "--state-dir" in output, output
    assert _files(dev.state_dir) == before
    _still_working(dev)


@pytest.mark.parametrize("spec", PORTS, ids=[spec.flag for spec in PORTS])
def test_each_busy_port_is_named_with_its_flag(tmp_path, spec):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM if spec.udp else socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        if not spec.udp:
            taken.listen()
        port = taken.getsockname()[1]
        args = free_ports()
        args[args.index(spec.flag) + 1] = str(port)
        status, output = finish(launch(tmp_path / "state", args))
    assert status == 2
    assert f"port {port}, for {spec.what}, is already in use" in output and f"{spec.flag} N" in output, output
    assert not (tmp_path / "state").exists()


def test_two_flags_on_one_port_are_refused(tmp_path):
    args = free_ports()
    port = str(free_port())
    args[args.index("--port") + 1] = args[args.index("--app-port") + 1] = port
    status, output = finish(launch(tmp_path / "state", args))
    assert status == 2 and "--app-port and --port are both" in output, output
