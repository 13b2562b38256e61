"""The dev host reads request heads itself (local/request_head.py): what it hands a function, and
the heads it refuses, byte for byte over a socket as a client would send them."""
from __future__ import annotations

import json
import secrets
import socket
from urllib.parse import urlsplit

import pytest

from local.devhost import MAX_REQUEST_BYTES
from local.request_head import MAX_HEADERS, MAX_LINE


def _exchange(base_url: str, raw: bytes) -> tuple[int, bytes]:
    """Sends `raw` on a fresh connection; the status and whole answer (the host closes after)."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


def _head(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def test_a_plain_request_is_served(stack):
    status, answer = _exchange(stack.base_url, _head("GET /api/health HTTP/1.1", "Host: x", "Connection: close"))
    assert status == 200, answer


def test_fields_and_body_reach_the_function(stack, admin):
    """Field names are case-blind and the body is read by its Content-Length: the function sees
    the bootstrap key and the JSON body, and creates the organization."""
    slug = "org-" + secrets.token_hex(5)
    body = json.dumps({"id": slug, "name": "Head test", "redirect_uris": ["https://app.example.com/cb"]}).encode()
    status, answer = _exchange(stack.base_url, _head(
        "POST /api/organizations HTTP/1.1", "Host: x", f"AUTHORIZATION: Bearer {stack.bootstrap_key}",
        "content-type: application/json", f"Content-Length: {len(body)}", "Connection: close") + body)
    assert status == 201, answer
    assert admin.get(f"/api/organizations/{slug}").json()["name"] == "Head test"


def test_keep_alive_serves_two_requests_on_one_connection(stack):
    status, answer = _exchange(stack.base_url, _head("GET /api/health HTTP/1.1", "Host: x")
                               + _head("GET /api/health HTTP/1.1", "Host: x", "Connection: close"))
    assert status == 200 and answer.count(b"HTTP/1.1 200") == 2, answer


@pytest.mark.parametrize("lines, status", [
    (["GET /api/health HTTP/1.1", "Host: x", " folded: onto the line before"], 400),
    (["GET /api/health HTTP/1.1", "Host : x"], 400),
    (["GET /api/health HTTP/1.1", "Ho(st: x"], 400),
    (["GET /api/health HTTP/1.1", "no colon here"], 400),
    (["GET /api/health HTTP/1.1", "Host: a", "Host: b"], 400),
    (["POST /api/health HTTP/1.1", "Host: x", "Content-Length: 1", "Content-Length: 2"], 400),
    (["POST /api/health HTTP/1.1", "Host: x", "Content-Length: -1"], 400),
    (["POST /api/health HTTP/1.1", "Host: x", "Content-Length: 1e3"], 400),
    (["POST /api/health HTTP/1.1", "Host: x", f"Content-Length: {MAX_REQUEST_BYTES + 1}"], 413),
    (["POST /api/health HTTP/1.1", "Host: x", f"Content-Length: {'9' * 5000}"], 413),
    (["POST /api/health HTTP/1.1", "Host: x", "Transfer-Encoding: chunked"], 411),
    (["GET /api/health HTTP/2.0", "Host: x"], 505),
    (["GET /api/health HTTQ/1.1", "Host: x"], 400),
    (["GET /api/health", "Host: x"], 400),
    (["GET /api/health HTTP/1.1", "Host: x", f"X-Long: {'a' * MAX_LINE}"], 431),
    (["GET /api/health HTTP/1.1", *(f"X-{i}: y" for i in range(MAX_HEADERS + 1))], 431),
])
def test_a_head_rfc_9112_refuses_is_refused(stack, lines, status):
    got, answer = _exchange(stack.base_url, _head(*lines))
    assert got == status, answer
    assert b"\r\nConnection: close\r\n" in answer.split(b"\r\n\r\n")[0] + b"\r\n", answer  # the rest of the stream is not read
    assert b"Traceback" not in answer


def test_fields_at_the_limits_are_served(stack):
    lines = ["GET /api/health HTTP/1.1", "Host: x", "Connection: close", *(f"X-{i}: y" for i in range(MAX_HEADERS - 3))]
    lines.append(f"X-Long: {'a' * (MAX_LINE - len('X-Long: ') - 2)}")
    status, answer = _exchange(stack.base_url, _head(*lines))
    assert status == 200, answer[:200]
