"""Dev host: serves the very functions registered in function_app.py, as the Functions host would.

Azure Functions Core Tools cannot be installed everywhere, so this stands in for them locally
and in tests. It has no logic of its own: it enumerates `app.get_functions()` once, turns each
HTTP trigger's route template and methods into a matcher, and converts requests and responses.
Like the Functions host, it runs a timer function on demand at `POST /admin/functions/{name}`
(header `x-functions-key` = the bootstrap key).

    python -m local.devhost --port 7071        # settings from the environment (SSO_*)
"""
from __future__ import annotations

import argparse
import hmac
import re
import socket
import sys
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func
from azure.functions.warmup import WarmUpContext

from local.request_head import BadHead, body_length, read_headers
from shared.platform.http1 import http_date

MAX_REQUEST_BYTES = 8 * 1024 * 1024  # the Functions host's own cap is far above our 1 MiB rule
_TIMER_ROUTE = re.compile(r"^/admin/functions/([A-Za-z0-9_]+)$")


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern
    methods: frozenset[str]
    handler: Callable


class _Timer(func.TimerRequest):
    @property
    def past_due(self) -> bool:
        return False


def _route_pattern(template: str) -> re.Pattern:
    """`api/organizations/{org}` → a regex with named groups; `{name:constraint}` is treated as one segment."""
    regex = re.sub(r"\\\{(\w+)(?::[^}]*)?\\\}", lambda m: f"(?P<{m.group(1)}>[^/]+)", re.escape(template.strip("/")))
    return re.compile(f"^/{regex}$")


def collect_functions(app: func.FunctionApp) -> tuple[list[Route], dict[str, Callable], list[Callable]]:
    routes, timers, warmups = [], {}, []
    for function in app.get_functions():
        trigger = function.get_trigger()
        if trigger.get_binding_name() == "httpTrigger":
            methods = frozenset(str(getattr(m, "value", m)).upper() for m in (trigger.methods or ["GET", "POST"]))
            routes.append((_precedence(trigger.route), Route(_route_pattern(trigger.route), methods, function.get_user_function())))
        elif trigger.get_binding_name() == "timerTrigger":
            timers[function.get_function_name()] = function.get_user_function()
        elif trigger.get_binding_name() == "warmupTrigger":
            warmups.append(function.get_user_function())
    # The host's route precedence: a literal segment wins over a parameter in the same place
    # (`.../ServiceProviderConfig` before `.../{resource}`), whatever the registration order.
    routes.sort(key=lambda ranked: ranked[0])  # stable: registration order among equals
    return [route for _, route in routes], timers, warmups


def _precedence(template: str) -> tuple[int, ...]:
    return tuple(1 if segment.startswith("{") else 0 for segment in template.strip("/").split("/"))


def make_server(host: str, port: int, app: func.FunctionApp, functions_key: str, warm_up: bool = False) -> ThreadingHTTPServer:
    """With `warm_up`, runs each warmup trigger first, as the Functions host does when an
    instance starts, before it sends the instance traffic."""
    routes, timers, warmups = collect_functions(app)
    for warmup in warmups if warm_up else ():
        warmup(WarmUpContext())

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as clients of the real host get

        def setup(self):
            super().setup()
            # Without this, Nagle's algorithm and the client's delayed ACK can hold a response
            # back ~40 ms.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format, *args):  # quiet: the app logs what matters
            pass

        def parse_request(self) -> bool:
            """http.server's, with the header fields read by request_head (see there why)."""
            # An error is answered with a status line even before the version is known (http.server
            # answers a head it cannot read as HTTP/0.9 would: a bare body).
            self.command, self.request_version, self.close_connection = None, "HTTP/1.1", True
            self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
            words = self.requestline.split()
            if len(words) != 3 or not words[2].startswith("HTTP/"):
                self.send_error(400, "Bad request syntax")
                return False
            if words[2] not in ("HTTP/1.0", "HTTP/1.1"):
                self.send_error(505 if re.fullmatch(r"HTTP/\d+\.\d+", words[2]) else 400, "HTTP/1.1 or 1.0 only")
                return False
            self.command, self.path, self.request_version = words
            if self.path.startswith("//"):  # as http.server: not an absolute URI to redirect to elsewhere
                self.path = "/" + self.path.lstrip("/")
            try:
                self.headers = read_headers(self.rfile)
            except BadHead as bad:
                self.send_error(bad.status, bad.reason)
                return False
            connection = self.headers.get("connection", "").lower()
            self.close_connection = connection == "close" or (self.request_version == "HTTP/1.0" and connection != "keep-alive")
            if self.headers.get("expect", "").lower() == "100-continue" and self.request_version == "HTTP/1.1":
                return self.handle_expect_100()
            return True

        def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            # One write of status line, headers and body (http.server's send_response and
            # end_headers would make two, and format each header through its own calls).
            lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}", f"Server: {self.version_string()}",
                     f"Date: {http_date(time.time())}"]  # http.server formats it per answer, through the email package
            for name, value in headers:
                lines.append(f"{name}: {value}")
                if name.lower() == "connection" and value.lower() == "close":
                    self.close_connection = True
            lines += [f"Content-Length: {len(body)}", "", ""]
            self.wfile.write("\r\n".join(lines).encode("latin-1") + (body if self.command != "HEAD" else b""))

        def _dispatch(self) -> None:
            try:
                length = body_length(self.headers, MAX_REQUEST_BYTES)
            except BadHead as bad:  # the body is left unread, so the connection cannot go on
                return self._send(bad.status, [("Content-Type", "text/plain"), ("Connection", "close")], bad.reason.encode())
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            timer = _TIMER_ROUTE.match(url.path)
            if timer and self.command == "POST":
                return self._run_timer(timer.group(1))
            # As the Functions host routes: the function whose route and methods both match; a
            # method no function of the route takes is a 404 there too (the app registers 405s).
            for route in routes:
                match = route.pattern.match(url.path)
                if match and self.command in route.methods:
                    return self._call(route, match.groupdict(), url, body)
            self._send(404, [("Content-Type", "text/plain")], b"no function at this route and method")

        def _call(self, route: Route, route_params: dict, url, body: bytes) -> None:
            params: dict[str, str] = {}
            for name, value in parse_qsl(url.query, keep_blank_values=True):
                params[name] = f"{params[name]},{value}" if name in params else value  # as ASP.NET joins repeats
            request = func.HttpRequest(
                self.command, f"http://{self.headers.get('host', 'localhost')}{self.path}",
                headers=self.headers, params=params, route_params=route_params, body=body,
            )
            response = route.handler(request)
            headers = list(response.headers.items())
            if not any(name.lower() == "content-type" for name, _ in headers) and response.get_body():
                headers.append(("Content-Type", f"{response.mimetype}; charset={response.charset}"))
            self._send(response.status_code, headers, response.get_body() or b"")

        def _run_timer(self, name: str) -> None:
            presented = (self.headers.get("x-functions-key") or "").encode()
            if not hmac.compare_digest(presented, functions_key.encode()):
                return self._send(401, [], b"")
            if name not in timers:
                return self._send(404, [("Content-Type", "text/plain")], b"no such timer function")
            timers[name](_Timer())
            self._send(202, [], b"")

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    server = _Server((host, port), Handler)
    server.daemon_threads = True
    return server


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 resets connections that twenty simultaneous clients
    # open at once; the Functions host in front of a real app accepts far more.
    request_queue_size = 128


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve function_app.py's functions locally (settings from SSO_* environment variables).")
    parser.add_argument("--port", type=int, default=7071)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)

    from shared.platform.settings import SettingsError, get_settings

    try:
        settings = get_settings()
    except SettingsError as err:
        print(err, file=sys.stderr)
        return 2
    import function_app

    server = make_server(args.host, args.port, function_app.app, settings.bootstrap_api_key, warm_up=True)
    print(f"dev host serving function_app on http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
