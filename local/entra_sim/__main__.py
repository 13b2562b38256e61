"""`python -m local.entra_sim --port N --config FILE --state-dir DIR [--browser-port M]`: serves
until killed and prints one JSON line, `{"authority": ..., "ca_bundle": ..., "browser_origin":
...}`, once it accepts connections."""

import argparse
import json
import logging
import signal
import sys
import threading

from .simulator import DEMO_CONFIG, start_simulator


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local.entra_sim", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 (default): any free port")
    parser.add_argument("--config", default=DEMO_CONFIG, help="tenants JSON (default: the demo)")
    parser.add_argument("--state-dir", help="where ca.pem goes (default: a temporary directory)")
    parser.add_argument("--browser-port", type=int, default=None,
                        help="also serve the sign-in pages over plain HTTP on localhost:PORT "
                             "(0: any free port), so a browser needs no CA")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="entra-sim %(message)s", stream=sys.stderr)
    try:
        sim = start_simulator(config=args.config, state_dir=args.state_dir, port=args.port,
                              browser_port=args.browser_port)
    except OSError as err:  # a busy port: say which, not a traceback
        sys.exit(f"entra-sim: cannot listen: {err}")
    print(json.dumps({"authority": sim.authority, "ca_bundle": sim.ca_bundle,
                      "browser_origin": sim.browser_origin}), flush=True)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    sim.stop()


if __name__ == "__main__":
    main()
