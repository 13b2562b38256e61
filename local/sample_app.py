"""A tiny sample SaaS app: what a customer of entra-sso writes, with the Python client
(clients/python). "Sign in with Microsoft" sends the browser to the client's sign-in URL; the
callback checks its state cookie, exchanges the one-time code server-to-server with its API key,
and shows the verified profile."""
from __future__ import annotations

import html
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests
from entra_sso_client import EntraSso, EntraSsoError

from local.demo import Demo


def make_sample_app(port: int, base_url: str, demo: Demo) -> ThreadingHTTPServer:
    callback = f"http://127.0.0.1:{port}/callback"
    session = requests.Session()
    session.trust_env = False  # loopback only: no proxy
    sso = EntraSso(base_url, demo.api_key, session=session)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

        def _page(self, body: str, status: int = 200, headers: dict | None = None) -> None:
            data = f"<!doctype html><meta charset=utf-8><title>Sample app</title><body style='font-family:sans-serif;max-width:44rem;margin:3rem auto'>{body}".encode()
            self.send_response(status)
            for name, value in {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(data)), **(headers or {})}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/":
                return self._home()
            if url.path == "/callback":
                return self._callback({k: v[0] for k, v in parse_qs(url.query).items()})
            self._page("not found", 404)

        def _home(self) -> None:
            state = secrets.token_urlsafe(16)
            links = "".join(
                f'<p><a id="sign-in-{label.lower()}" href="{html.escape(sso.sign_in_url(connection=conn, redirect_uri=callback, state=state))}">'
                f"Sign in with Microsoft ({label})</a></p>"
                for label, conn in (("OIDC", demo.oidc_connection), ("SAML", demo.saml_connection))
            )
            self._page(f"<h1>Sample app</h1>{links}", headers={"Set-Cookie": f"sample_state={state}; HttpOnly; SameSite=Lax; Path=/"})

        def _callback(self, params: dict) -> None:
            cookie = dict(part.strip().split("=", 1) for part in (self.headers.get("Cookie") or "").split(";") if "=" in part)
            if params.get("state") != cookie.get("sample_state"):
                return self._page("<h1>State mismatch</h1><p>This callback was not started here.</p>", 400)
            if "error" in params:
                return self._page(f"<h1>Sign-in failed</h1><p id=error><code>{html.escape(params['error'])}</code> {html.escape(params.get('error_description', ''))}</p>", 400)
            try:
                profile = sso.exchange_code(params.get("code", ""))
            except EntraSsoError as err:
                return self._page(f"<h1>Code exchange failed</h1><p><code>{html.escape(err.code)}</code> {html.escape(err.message)}"
                                  f"</p><p>Correlation id: <code>{html.escape(err.correlation_id or '')}</code></p>", 400)
            self._page(f"<h1>Signed in as {html.escape(profile.name or profile.email or profile.id)}</h1>"
                       f"<pre id=profile>{html.escape(json.dumps(profile.raw, indent=2))}</pre><p><a href='/'>again</a></p>")

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
