"""A loopback DNS server for scripts/dev, so a domain can be claimed and verified locally: it
answers TXT queries from a plain file, one record per line (`NAME VALUE`), read at every query,
so a record published a second ago is seen now. The service reads it through SSO_DNS_RESOLVER.

    .venv/bin/python -m local.dns publish _entra-sso.example.com entra-sso-verification=...
    .venv/bin/python -m local.dns list
"""
from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from local.azurite import ROOT

RECORDS_FILE = "dns-records.txt"
_FILE_LOCK = threading.Lock()


def _name(value: str) -> str:
    return value.strip().lower().rstrip(".")


def read_records(path: Path) -> dict[str, list[str]]:
    records: dict[str, list[str]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return records
    for line in lines:
        name, _, value = line.strip().partition(" ")
        if name and not name.startswith("#") and value.strip():
            records.setdefault(_name(name), []).append(value.strip())
    return records


def publish(path: Path, name: str, value: str) -> None:
    """Appends a TXT record (the file is the whole zone; edit it by hand to remove one)."""
    if not _name(name) or " " in name or "\n" in name + value or not value.strip():
        raise ValueError("a record is a name without spaces and a non-empty one-line value")
    with _FILE_LOCK, path.open("a", encoding="utf-8") as f:
        f.write(f"{_name(name)} {value.strip()}\n")


class _FileZone(BaseResolver):
    def __init__(self, path: Path):
        self.path = path

    def resolve(self, request, handler):
        reply = request.reply()
        values = read_records(self.path).get(_name(str(request.q.qname)))
        if not values:
            reply.header.rcode = RCODE.NXDOMAIN
        elif request.q.qtype in (QTYPE.TXT, QTYPE.ANY):
            for value in values:
                # A TXT string holds 255 bytes at most; longer values are split, as DNS hosts do.
                chunks = [value[i:i + 255] for i in range(0, len(value), 255)]
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(chunks), ttl=1))
        return reply


def start_dns(records: Path, port: int) -> DNSServer:
    """Serves UDP on 127.0.0.1:port (0: a free one) in a thread; `.server.server_address[1]` is the port."""
    records.touch(exist_ok=True)
    server = DNSServer(_FileZone(records), address="127.0.0.1", port=port, logger=DNSLogger(logf=lambda *_: None))
    server.start_thread()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.dns", description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", default=str(ROOT / ".local"), help="scripts/dev's state directory (default .local)")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("publish", help="publish a TXT record")
    add.add_argument("name")
    add.add_argument("value")
    commands.add_parser("list", help="print every record")
    args = parser.parse_args(argv)
    path = Path(args.state_dir) / RECORDS_FILE
    if not path.exists():
        print(f"{path} does not exist: is scripts/dev running (with --state-dir {args.state_dir})?", file=sys.stderr)
        return 1
    if args.command == "publish":
        try:
            publish(path, args.name, args.value)
        except ValueError as err:
            print(err, file=sys.stderr)
            return 2
        print(f"published TXT {_name(args.name)} = {args.value.strip()}")
    else:
        for name, values in sorted(read_records(path).items()):
            for value in values:
                print(name, value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
