"""A small HTTPS server: threaded, loopback only, routes matched by regular expression. Also
plain HTTP, for the browser-facing pages only (`serve(..., certfile=None)` with `OnlyPaths`).

TLS handshakes run in each connection's thread (not in the accept loop), so one slow client
can't stall the others."""

import json
import logging
import re
import socket
import ssl
import sys
import threading
import traceback
import uuid
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("entra_sim")

MAX_BODY = 1 << 20


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: Message
    client_ip: str
    body: bytes = b""

    @property
    def params(self) -> dict[str, str]:
        """Query for GET, form for POST: how Entra reads its protocol parameters."""
        return self.form if self.method == "POST" else self.query

    @property
    def correlation_id(self) -> str:
        # Entra answers with the client's `client-request-id` (MSAL sends one) as correlation id.
        return self.headers.get("client-request-id") or str(uuid.uuid4())

    def json(self) -> dict:
        try:
            value = json.loads(self.body or b"{}")
        except ValueError:
            raise BadRequest("body must be JSON") from None
        if not isinstance(value, dict):
            raise BadRequest("body must be a JSON object")
        return value


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class BadRequest(ValueError):
    """A malformed control API call: answered 400 with the message."""


def json_response(value, status: int = 200, headers: dict | None = None) -> Response:
    return Response(status, json.dumps(value).encode(), "application/json; charset=utf-8",
                    {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache",
                     **(headers or {})})


def html_response(text: str, status: int = 200) -> Response:
    return Response(status, text.encode(), "text/html; charset=utf-8",
                    {"Cache-Control": "no-store, no-cache"})


def redirect(url: str) -> Response:
    return Response(302, b"", headers={"Location": url, "Cache-Control": "no-store, no-cache"})


Handler = Callable[..., Response]


def _first_values(raw: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections give their thread back
    server_version = "entra-sim"
    sys_version = ""

    def setup(self):
        super().setup()
        # Headers and body are separate writes: without this, Nagle's algorithm and the client's
        # delayed ACK hold every response back ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(Response(413, b"request too large"))
            return
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        form = {}
        if self.headers.get_content_type() == "application/x-www-form-urlencoded":
            form = _first_values(body.decode("utf-8", "replace"))
        request = Request(self.command, url.path, _first_values(url.query), form, self.headers,
                          self.client_address[0], body)
        try:
            response = self.server.app.handle(request)
        except BadRequest as e:
            response = json_response({"error": "bad_request", "message": str(e)}, 400)
        except Exception:  # a simulator bug: say so loudly, keep serving
            traceback.print_exc(file=sys.stderr)
            response = Response(500, b"simulator error, see its stderr")
        self._send(response)

    def _send(self, response: Response):
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format, *args):
        log.debug("%s %s", self.address_string(), format % args)


class Router:
    def __init__(self):
        self._routes: list[tuple[str, re.Pattern, Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(pattern + r"\Z"), handler))

    def handle(self, request: Request) -> Response:
        allowed = False
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match:
                allowed = True
                if method == request.method:
                    return handler(request, **match.groupdict())
        if allowed:
            return Response(405, b"method not allowed")
        return json_response({"error": "not_found", "path": request.path}, 404)


class OnlyPaths:
    """A router that answers only paths matching `pattern` (404 for the rest): the plain-HTTP
    listener serves the pages a browser visits and none of the back-channel endpoints."""

    def __init__(self, router: Router, pattern: str):
        self._router, self._pattern = router, re.compile(pattern + r"\Z")

    def handle(self, request: Request) -> Response:
        if not self._pattern.match(request.path):
            return json_response({"error": "not_found", "path": request.path}, 404)
        return self._router.handle(request)


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Failed handshakes (a client that doesn't trust our CA) and dropped connections.
        log.debug("connection from %s failed", client_address, exc_info=True)


def serve(router, *, port: int, certfile: str | None, keyfile: str | None) -> ThreadingHTTPServer:
    """Starts serving HTTPS on 127.0.0.1:port (0: any free port) in a background thread; plain
    HTTP when `certfile` is None."""
    server = _TLSServer(("127.0.0.1", port), _RequestHandler)
    if certfile is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(certfile, keyfile)
        server.socket = context.wrap_socket(server.socket, server_side=True,
                                            do_handshake_on_connect=False)
    server.app = router
    threading.Thread(target=server.serve_forever, name="entra-sim", daemon=True).start()
    return server
