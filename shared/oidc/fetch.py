"""GET a JSON document from the authority through the pinned-trust session."""
from __future__ import annotations

from typing import Callable

import requests

from shared.platform.errors import SsoError
from shared.platform.outbound import http_session

# (url) -> (HTTP status, parsed JSON body or None); injected by tests instead of the network.
JsonFetcher = Callable[[str], "tuple[int, object]"]


def fetch_json(url: str) -> tuple[int, object]:
    """The status and JSON body (None if not JSON) of a GET; network failures and timeouts are
    `authority_unreachable`, statuses are for the caller to interpret."""
    try:
        response = http_session().get(url, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise SsoError("authority_unreachable", f"Entra could not be reached ({type(exc).__name__}); retry shortly.") from None
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, None
