"""Fetching an IdP metadata URL without letting it reach into our network.

The URL is an admin's input that the stamp fetches (when a connection is saved, then daily), so
it passes the address rules of shared/platform/public_url.py (the same as for notification webhooks) on
every fetch: https to public addresses only, pinned to the checked address, no redirects, 5 s
for the whole fetch, at most 1 MiB.
"""
from __future__ import annotations

from shared.platform import public_url
from shared.platform.errors import SsoError

MAX_METADATA_BYTES = 1024 * 1024
TIMEOUT_SECONDS = 5.0
_HEADERS = {"Accept": "application/samlmetadata+xml, application/xml, text/xml", "User-Agent": "entra-sso metadata refresh"}


def fetch_metadata(url: str, *, allow_loopback: bool, ca_bundle: str | None, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The document at `url`; `metadata_unreachable` (or `invalid_metadata` past 1 MiB) otherwise."""
    try:
        answer = public_url.call("GET", url, allow_loopback=allow_loopback, ca_bundle=ca_bundle, headers=_HEADERS,
                                 timeout=timeout, max_bytes=MAX_METADATA_BYTES)
    except public_url.TooLarge:
        raise SsoError("invalid_metadata", "The metadata URL answered more than 1 MiB; use the App Federation Metadata Url from the Entra enterprise app's SAML page.") from None
    except (public_url.Refused, public_url.Failed) as problem:
        raise _unreachable(problem.reason) from None
    if answer.status != 200:
        raise _unreachable(f"it answered HTTP {answer.status}" + (" (a redirect; use the final URL)" if 300 <= answer.status < 400 else ""))
    return answer.body


def _unreachable(reason: str) -> SsoError:
    return SsoError("metadata_unreachable", f"The metadata URL could not be used: {reason}. Use the App Federation Metadata Url from the Entra enterprise app's SAML page.")
