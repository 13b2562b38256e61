"""Field validators for admin API bodies: each returns the clean value or raises `invalid_field`
with a sentence naming the field and what it accepts."""
from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from shared.platform.errors import SsoError
from shared.platform.settings import is_loopback_host

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}\Z")
CONNECTION_ID = re.compile(r"^conn_[a-z0-9]{20}\Z")
_EMAIL = re.compile("^[^@\\s\\x00-\\x1f\\x7f\\ud800-\\udfff]{1,64}@" r"([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+)\Z")
_DOMAIN = re.compile(r"^(?=.{4,253}\Z)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z")
# RFC 3986's characters only (no space, quote, angle bracket, backslash, control or non-ASCII):
# such a value is an XML attribute or text node that means exactly itself.
_URI_CHARS = re.compile(r"^[A-Za-z0-9\-._~%!$&'()*+,;=:@/?#\[\]]+\Z")
_URN = re.compile(r"^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:.+$", re.IGNORECASE)
# Table Storage refuses these in a PartitionKey or RowKey (and a lone surrogate cannot be encoded).
_KEY_FORBIDDEN = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")
MAX_KEY_LENGTH = 512  # keys are at most 1 KiB of UTF-16


def invalid(field: str, expected: str) -> SsoError:
    return SsoError("invalid_field", f"`{field}` must be {expected}.")


def text(field: str, value, max_length: int = 200, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or len(value) > max_length or (not allow_empty and not value.strip()):
        raise invalid(field, f"a string of 1 to {max_length} characters")
    return value.strip()


def boolean(field: str, value) -> bool:
    if not isinstance(value, bool):
        raise invalid(field, "true or false")
    return value


def choice(field: str, value, options: tuple[str, ...]) -> str:
    if value not in options:
        raise invalid(field, "one of " + ", ".join(options))
    return value


def string_list(field: str, value, item, max_items: int = 100, allow_empty: bool = True) -> list:
    if not isinstance(value, list) or len(value) > max_items or (not allow_empty and not value):
        raise invalid(field, f"a list of {'1' if not allow_empty else '0'} to {max_items} items")
    cleaned = [item(f"{field}[{i}]", v) for i, v in enumerate(value)]
    return list(dict.fromkeys(cleaned))  # drop duplicates, keep order


def slug(field: str, value) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        raise invalid(field, "a slug: lowercase letters, digits and '-', 2 to 63 characters, starting with a letter or digit")
    return value


def guid(field: str, value) -> str:
    try:
        parsed = uuid.UUID(value) if isinstance(value, str) and len(value) == 36 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise invalid(field, "a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47")
    return str(parsed)


def email(field: str, value) -> str:
    if not isinstance(value, str) or not _EMAIL.match(value.strip().lower()):
        raise invalid(field, "an email address")
    return value.strip().lower()


def domain(field: str, value) -> str:
    if not isinstance(value, str) or not _DOMAIN.match(value.strip().lower().rstrip(".")):
        raise invalid(field, "a DNS domain name such as contoso.com")
    return value.strip().lower().rstrip(".")


def url(field: str, value, allow_loopback_http: bool = True, max_length: int = 2048) -> str:
    """An absolute https URL (plain http only on loopback), no fragment, no credentials."""
    if not isinstance(value, str) or len(value) > max_length:
        raise invalid(field, "an absolute URL")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise invalid(field, "an absolute URL") from None
    loopback_http = parts.scheme == "http" and allow_loopback_http and is_loopback_host(parts.hostname)
    if (parts.scheme != "https" and not loopback_http) or not parts.hostname or parts.fragment or parts.username or parts.password or port == 0:
        raise invalid(field, "an absolute https URL with no fragment or credentials (plain http only on localhost)")
    return value


def is_storage_key(value, max_length: int = MAX_KEY_LENGTH) -> bool:
    """Whether `value` may be used as (part of) a PartitionKey or RowKey: a user-supplied value
    is checked with this before any storage call, so a malformed one is the caller's 4xx and
    never storage's 400 (which would surface as storage_unavailable)."""
    return (isinstance(value, str) and 0 < len(value) <= max_length and value.isprintable()
            and not _KEY_FORBIDDEN.search(value))


def absolute_uri(field: str, value, max_length: int = 1024) -> str:
    """An absolute http(s) URL with a host and no credentials, or a URN (`urn:<nid>:<nss>`), in
    URI characters only: what a SAML entity id is, and safe in any XML it is written into."""
    expected = "an absolute URI: an https URL such as https://app.contoso.com/saml, or a URN such as urn:contoso:saas"
    if not isinstance(value, str) or len(value) > max_length or not _URI_CHARS.match(value):
        raise invalid(field, expected)
    if _URN.match(value):
        return value
    try:
        parts = urlsplit(value)
        parts.port  # raises ValueError on a malformed port
    except ValueError:
        raise invalid(field, expected) from None
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
        raise invalid(field, expected)
    return value
