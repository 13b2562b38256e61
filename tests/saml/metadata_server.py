"""A metadata URL on loopback, served from a thread, that behaves as the test tells it to: answer,
redirect, answer too much, too slowly, or not at all. It records every request it receives."""
from __future__ import annotations

import http.server
import ssl
import threading
from dataclasses import dataclass, field


@dataclass
class Behaviour:
    body: bytes = b""
    status: int = 200
    headers: dict = field(default_factory=dict)
    chunked: bool = False  # no Content-Length: the size is known only by reading
    delay_headers: float = 0.0  # seconds of silence before answering
    trickle: bool = False  # send the body one byte at a time, slowly


class MetadataServer:
    def __init__(self, tls_files: tuple[str, str] | None = None):
        self.behaviour = Behaviour()
        self.requests: list[dict] = []
        self.stopping = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                server.requests.append({"path": self.path, "host": self.headers.get("Host")})
                behaviour = server.behaviour
                if behaviour.delay_headers and server.stopping.wait(behaviour.delay_headers):
                    return
                self.send_response(behaviour.status)
                for name, value in behaviour.headers.items():
                    self.send_header(name, value)
                self.send_header("Connection", "close")
                if behaviour.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Content-Length", str(len(behaviour.body)))
                self.end_headers()
                try:
                    self._body(behaviour)
                except OSError:
                    pass  # the client gave up, as it should

            def _body(self, behaviour):
                pieces = [behaviour.body[i:i + 1] for i in range(len(behaviour.body))] if behaviour.trickle else [behaviour.body]
                for piece in pieces:
                    if behaviour.trickle and server.stopping.wait(0.05):
                        return
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if behaviour.chunked else piece)
                    self.wfile.flush()
                if behaviour.chunked:
                    self.wfile.write(b"0\r\n\r\n")

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if tls_files:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls_files)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def stop(self):
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
