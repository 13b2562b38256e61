"""The ports scripts/dev listens on, each with the flag that changes it, and a check that names
the busy one before anything starts."""
from __future__ import annotations

import errno
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Port:
    flag: str
    default: int
    what: str
    udp: bool = False

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


PORTS = (
    Port("--port", 7071, "the service (the dev host)"),
    Port("--app-port", 7080, "the sample app"),
    Port("--sim-port", 7443, "the Entra simulator's HTTPS back channel"),
    Port("--sim-browser-port", 7444, "the Entra simulator's sign-in pages, HTTP on localhost"),
    Port("--storage-port", 10002, "Azurite's Table service"),
    Port("--dns-port", 7053, "the loopback DNS server, UDP", udp=True),
)


def chosen(args) -> dict[str, int]:
    return {spec.flag: getattr(args, spec.dest) for spec in PORTS}


def _busy(port: int, udp: bool) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR, as the servers themselves bind: a port in TIME_WAIT is free, a listening one is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as err:
            if err.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def check(args) -> str | None:
    """What is wrong with the chosen ports (a clash or a busy one), or None."""
    seen: dict[int, str] = {}
    for spec in PORTS:
        port = getattr(args, spec.dest)
        if port == 0:
            continue
        if not 0 < port < 65536:
            return f"{spec.flag} {port} is not a port number (1-65535, or 0 for any free port)"
        if port in seen:
            return f"{spec.flag} and {seen[port]} are both {port}; give one of them another port"
        seen[port] = spec.flag
        if _busy(port, spec.udp):
            return (f"port {port}, for {spec.what}, is already in use, perhaps by another scripts/dev; "
                    f"stop that one, or choose another port with {spec.flag} N (0: any free port)")
    return None
