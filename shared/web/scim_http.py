"""The SCIM routes' HTTP: bodies read as application/scim+json (or application/json), every
refusal in SCIM's error shape (RFC 7644 section 3.12), storage down as a 503 in that shape, and
each refused request of a known directory recorded in its organization's events."""
from __future__ import annotations

import contextvars
import functools
import json
import logging
from typing import Callable, TypeVar
from urllib.parse import urlsplit

import azure.functions as func

from shared.directory import directories, token_guard
from shared.directory.records import Directory
from shared.directory.scim.errors import ScimError
from shared.orgs import events
from shared.platform.errors import SsoError
from shared.platform.observability import correlation_id, log, new_correlation_id
from shared.storage import tables
from shared.web.http import CORRELATION_HEADER, MAX_BODY_BYTES, MAX_JSON_DEPTH, _check_json_values, _finite_float, _refuse_constant

MEDIA_TYPE = "application/scim+json"
_ACCEPTED = {"application/scim+json", "application/json", ""}
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
T = TypeVar("T")
_directory: contextvars.ContextVar[Directory | None] = contextvars.ContextVar("scim_directory", default=None)


def scim_response(body: dict | None, status: int = 200, etag: str | None = None, location: str | None = None) -> func.HttpResponse:
    headers = {**_HEADERS, CORRELATION_HEADER: correlation_id()}
    if etag:
        headers["ETag"] = etag
    if location:
        headers["Location"] = location
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="entra-sso-scim"'
    if body is None:
        return func.HttpResponse(status_code=status, headers=headers)
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype=MEDIA_TYPE, headers=headers)


def directory(req: func.HttpRequest) -> Directory:
    """The directory of `{directory}` whose Secret Token the request carries (else 401)."""
    return directories.authenticate(req.route_params.get("directory", ""), req.headers.get("authorization"), on_found=_directory.set)


def directory_and_row(req: func.HttpRequest, row_key: str):
    """The directory (as `directory`) and one row of its partition, read in the same round trip."""
    return directories.authenticate(req.route_params.get("directory", ""), req.headers.get("authorization"), on_found=_directory.set,
                                    also=row_key)


def for_write(req: func.HttpRequest, write: Callable[[Directory], T]) -> tuple[Directory, T]:
    """`write(directory)` for a write that reads nothing first (POST /Users, /Groups): the
    directory may come from the instance's authenticated records, the write's own transaction then
    checking the token (shared/directory/token_guard.py). When that check fails (the token was
    revoked or rotated, or the directory deleted), nothing was written: the directory is read and
    the token checked again (401 if no longer accepted), and the write runs once more."""
    found = directories.authenticate(req.route_params.get("directory", ""), req.headers.get("authorization"), on_found=_directory.set,
                                     cached=True)
    if not token_guard.guarded():
        return found, write(found)
    try:
        return found, write(found)
    except tables.EtagMismatch:
        token_guard.forget_current()
    found = directory(req)
    return found, write(found)


def read_body(req: func.HttpRequest):
    body = req.get_body() or b""
    if len(body) > MAX_BODY_BYTES:
        raise ScimError(413, f"The body is larger than {MAX_BODY_BYTES} bytes; send fewer operations or members per request.")
    media_type = (req.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type not in _ACCEPTED:
        raise ScimError(415, "Send the body as application/scim+json (or application/json).")
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise ScimError(400, f"The body nests deeper than {MAX_JSON_DEPTH} levels.", "invalidSyntax") from None
    except (UnicodeDecodeError, ValueError):
        raise ScimError(400, "The body is not valid UTF-8 JSON.", "invalidSyntax") from None
    try:
        _check_json_values(data)
    except SsoError as err:
        raise ScimError(400, err.message, "invalidSyntax") from None
    if not isinstance(data, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    return data


def _record(req: func.HttpRequest, err: ScimError) -> None:
    found = _directory.get()
    if found is None:
        return
    try:
        events.record(found.organization, "directory.request_refused", outcome="failed", error=err.scim_type or f"scim_{err.status}",
                      detail={"directory": found.id, "method": req.method, "route": urlsplit(req.url).path, "status": err.status, "message": err.detail})
    except SsoError:
        pass  # storage down: nothing to record to


def scim_handler(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def handler(req: func.HttpRequest, *args, **kwargs) -> func.HttpResponse:
        new_correlation_id()
        _directory.set(None)
        try:
            return fn(req, *args, **kwargs)
        except ScimError as err:
            log(logging.WARNING, "scim_refused", route=req.url.split("?")[0], status=err.status, scim_type=err.scim_type)
            _record(req, err)
            return scim_response(err.to_json(), err.status)
        except SsoError as err:  # storage_unavailable and the like, in SCIM's shape
            status = err.status
            log(logging.WARNING, "scim_failed", route=req.url.split("?")[0], error=err.code, status=status)
            if 400 <= status < 500:
                _record(req, ScimError(status, err.message))
            return scim_response(ScimError(status, err.message).to_json(), status)
        except Exception as exc:  # the last line of defence: no stack trace leaves the process
            logging.getLogger("entra_sso").exception("unhandled SCIM error (correlation id %s)", correlation_id())
            log(logging.ERROR, "request_crashed", route=req.url.split("?")[0], exception=type(exc).__name__)
            return scim_response(ScimError(500, f"Something unexpected failed; quote correlation id {correlation_id()} to support.").to_json(), 500)

    return handler
