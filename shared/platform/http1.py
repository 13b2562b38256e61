"""Keep-alive HTTP/1.1 connections for the sign-in path's own requests (Table Storage, Entra's
token endpoint), written and read here rather than through http.client or requests.

Why: per request, requests + urllib3 cost more CPU than the whole rest of a token call, and
http.client parses every answer's headers with the `email` package, which for a Table `$batch`
answer (Content-Type multipart/mixed with a fresh boundary) also compiles a regular expression.
The answers read here are those of Table Storage and Entra: a status line, headers, then a body
framed by Content-Length, by chunks, or by the server closing the connection. Nothing here
follows a redirect, reads a proxy setting or adds credentials: the caller says where to go and
what to send, and a `ssl.SSLContext` says whom to trust.
"""
from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time

MAX_LINE = 65537
MAX_HEADERS = 100
MAX_IDLE_CONNECTIONS = 32
# A keep-alive connection the server closed while it sat idle fails in one of these ways; the
# request is then sent once more on a new connection (it was never received).
STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, ConnectionAbortedError)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_last_date: tuple[int, str] = (-1, "")


def http_date(now: float) -> str:
    """An HTTP date (RFC 9110's IMF-fixdate), independent of the locale, formatted once a second."""
    global _last_date
    second = int(now)
    if _last_date[0] != second:
        t = time.gmtime(second)
        _last_date = (second, f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
                              f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT")
    return _last_date[1]


class Connection:
    """One keep-alive connection to `host`; used by one thread at a time (see Pool)."""

    def __init__(self, scheme: str, host: str, port: int | None, context: ssl.SSLContext | None, timeout: float):
        raw = socket.create_connection((host, port or (443 if scheme == "https" else 80)), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # one write per request; no Nagle wait
        if scheme == "https":
            raw = (context or ssl.create_default_context()).wrap_socket(raw, server_hostname=host)
        self._socket = raw
        self._reader = raw.makefile("rb")
        self._host = host if port is None else f"{host}:{port}"

    def exchange(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes, bool]:
        """Sends one request and reads its answer: status, headers (names in lower case), body,
        and whether the server will close the connection."""
        head = [f"{method} {target} HTTP/1.1", f"Host: {self._host}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        self._socket.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        status_line = self._reader.readline(MAX_LINE)
        if not status_line:
            raise http.client.RemoteDisconnected("the server closed the connection without an answer")
        version, _, rest = status_line.decode("latin-1").partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise http.client.BadStatusLine(status_line[:80].decode("latin-1"))
        status = int(rest[:3])
        answer: dict[str, str] = {}
        for _ in range(MAX_HEADERS):
            line = self._reader.readline(MAX_LINE)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            answer[name.strip().lower()] = value.strip()
        else:
            raise http.client.HTTPException("too many headers in the answer")
        will_close = answer.get("connection", "").lower() == "close" or version == "HTTP/1.0"
        if status in (204, 304) or 100 <= status < 200 or method == "HEAD":
            data = b""
        elif answer.get("transfer-encoding", "").lower() == "chunked":
            data = self._chunked()
        elif "content-length" in answer:
            data = self._exactly(int(answer["content-length"]))
        else:
            data, will_close = self._reader.read(), True
        return status, answer, data, will_close

    def _exactly(self, size: int) -> bytes:
        data = self._reader.read(size)
        if len(data) != size:
            raise http.client.IncompleteRead(data, size - len(data))
        return data

    def _chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self._reader.readline(MAX_LINE).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self._reader.readline(MAX_LINE) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self._exactly(size))
            self._reader.readline(MAX_LINE)  # the CRLF after each chunk

    def close(self) -> None:
        self._reader.close()
        self._socket.close()


class Pool:
    """Idle keep-alive connections to one host, shared by all threads (a thread takes one for a
    request and gives it back once the answer has been read)."""

    def __init__(self, scheme: str, host: str, port: int | None, context: ssl.SSLContext | None, timeout: float):
        self._scheme, self._host, self._port, self._context, self._timeout = scheme, host, port, context, timeout
        self._idle: list[Connection] = []
        self._lock = threading.Lock()

    def take(self) -> tuple[Connection, bool]:
        """A connection, and whether it was used before (it may have gone stale)."""
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return Connection(self._scheme, self._host, self._port, self._context, self._timeout), False

    def give(self, connection: Connection) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE_CONNECTIONS:
                self._idle.append(connection)
                return
        connection.close()

    def exchange(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        """One request on a pooled connection; a stale idle one is replaced at once. Raises
        OSError or http.client.HTTPException when there is no answer."""
        while True:
            connection, reused = self.take()
            try:
                status, answer, data, will_close = connection.exchange(method, target, headers, body)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                connection.close()
                if reused and isinstance(exc, STALE):
                    continue
                if isinstance(exc, ValueError):  # a garbled length or chunk size
                    raise http.client.HTTPException(f"unreadable answer: {exc}") from exc
                raise
            if will_close:
                connection.close()
            else:
                self.give(connection)
            return status, answer, data

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
