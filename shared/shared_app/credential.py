"""The shared app's credential, as MSAL's `client_credential`: `{"client_assertion": callable}`.

`managed_identity`: workload identity federation. The function app's user-assigned identity
(AZURE_CLIENT_ID) asks the platform's endpoint (IDENTITY_ENDPOINT with IDENTITY_HEADER, as App
Service and Functions provide them) for a token for `api://AzureADTokenExchange`; that token is
the client assertion, which Entra accepts because the app registration lists the identity as a
federated credential (issuer, subject = the identity's object id, audience). The token lives
about a day: it is kept until 5 minutes before it expires, and fetched again after that.

`certificate`: a PEM (private key and certificate) in the secret store, named by
SSO_SHARED_APP_CERTIFICATE; entra_client signs a fresh assertion with it for every request.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

import requests

from shared import secret_store
from shared.platform.certificates import thumbprint
from shared.platform.errors import SsoError
from shared.platform.outbound import http_session
from shared.platform.settings import SharedApp

EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
API_VERSION = "2019-08-01"
REFRESH_MARGIN_SECONDS = 300


class ManagedIdentityAssertion:
    """A callable MSAL invokes for every token request; answers the cached identity token."""

    def __init__(self, app: SharedApp, session: Callable[[], requests.Session] = http_session):
        self._app = app
        self._session = session
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_on = 0.0

    def __call__(self) -> str:
        with self._lock:
            if self._token and time.time() < self._expires_on - REFRESH_MARGIN_SECONDS:
                return self._token
        token, expires_on = self._fetch()
        with self._lock:
            self._token, self._expires_on = token, expires_on
        return token

    def forget(self) -> None:
        with self._lock:
            self._token, self._expires_on = None, 0.0

    def _fetch(self) -> tuple[str, float]:
        app = self._app
        params = {"resource": EXCHANGE_AUDIENCE, "api-version": API_VERSION, "client_id": app.identity_client_id}
        try:
            response = self._session().get(app.identity_endpoint, params=params, allow_redirects=False,
                                           headers={"X-IDENTITY-HEADER": app.identity_header, "Accept": "application/json"})
        except requests.RequestException as exc:
            raise SsoError("managed_identity_unavailable", f"The managed identity endpoint (IDENTITY_ENDPOINT) could not be reached ({type(exc).__name__}); retry shortly.") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise SsoError("managed_identity_unavailable", f"The managed identity endpoint answered HTTP {response.status_code}; retry shortly.")
        if response.status_code != 200:
            raise SsoError("managed_identity_refused", f"The managed identity endpoint refused the request (HTTP {response.status_code}): assign the user-assigned identity whose client id is AZURE_CLIENT_ID ({app.identity_client_id}) to the function app.")
        try:
            body = response.json()
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        try:
            expires_on = float(body.get("expires_on")) if isinstance(body, dict) else 0.0
        except (TypeError, ValueError):
            expires_on = 0.0
        if not isinstance(token, str) or token.count(".") != 2 or expires_on <= time.time():
            raise SsoError("managed_identity_unavailable", "The managed identity endpoint answered no usable token (access_token, expires_on); retry shortly.")
        return token, expires_on


def certificate_credential(name: str) -> dict:
    """MSAL's certificate dict from the PEM kept in the secret store (key and certificate)."""
    from cryptography import x509  # on first use (the shared app's first token): cryptography stays off the cold start
    from cryptography.hazmat.primitives import serialization

    try:
        pem = secret_store.get_secret_store().get_secret(name).value.encode()
    except secret_store.SecretNotFound:
        raise SsoError("shared_app_not_configured", f"The secret store has no secret {name!r} (SSO_SHARED_APP_CERTIFICATE); import the shared app's certificate there.") from None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise SsoError("shared_app_not_configured", f"Secret {name!r} must hold the certificate and its unencrypted private key as PEM.") from None
    return {"private_key": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode(),
            "thumbprint": thumbprint(certificate),
            "public_certificate": certificate.public_bytes(serialization.Encoding.PEM).decode()}
