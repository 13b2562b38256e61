"""What every HTTP handler shares: body parsing, JSON and error responses, the handler wrapper.

Handlers are wrapped by `api_handler` (JSON always) or `browser_handler` (HTML error pages
unless the client asks for JSON). The wrapper gives each request a correlation id (returned in
`X-Correlation-Id` and on error pages), turns `SsoError` into its status and stable code, and
turns anything unexpected into a 500 with no stack trace in the response.

Bodies are read by `read_body(req, Model)`: parsed by the rules below (1 MiB, content type,
strict JSON), then validated by the body's model, every problem answered in one 400.
"""
from __future__ import annotations

import functools
import html
import json
import logging
import math
from typing import Callable, TypeVar
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func
from pydantic import BaseModel, ValidationError

from shared.orgs import events, organizations
from shared.orgs.regions import UnknownOrganization, location_elsewhere
from shared.platform import validation
from shared.platform.errors import CATALOGUE, SsoError
from shared.platform.observability import correlation_id, log, new_correlation_id, request_organization
from shared.web.user_messages import user_message

MAX_BODY_BYTES = 1024 * 1024
CORRELATION_HEADER = "X-Correlation-Id"
_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_PAGE_HEADERS = {**_SECURITY_HEADERS, "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"}


def json_response(body, status: int = 200, headers: dict | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body), status_code=status, mimetype="application/json",
        headers={**_SECURITY_HEADERS, CORRELATION_HEADER: correlation_id(), **(headers or {})},
    )


def html_response(page: str, status: int = 200, headers: dict | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        page, status_code=status, mimetype="text/html", charset="utf-8",
        headers={**_PAGE_HEADERS, CORRELATION_HEADER: correlation_id(), **(headers or {})},
    )


def redirect(location: str, status: int = 302) -> func.HttpResponse:
    return func.HttpResponse(status_code=status, headers={**_SECURITY_HEADERS, "Location": location, CORRELATION_HEADER: correlation_id()})


def no_content() -> func.HttpResponse:
    """204, with the headers every response carries (the correlation id included)."""
    return func.HttpResponse(status_code=204, headers={**_SECURITY_HEADERS, CORRELATION_HEADER: correlation_id()})


def xml_response(xml: str, mimetype: str, headers: dict | None = None) -> func.HttpResponse:
    return func.HttpResponse(xml, mimetype=mimetype, headers={**_SECURITY_HEADERS, CORRELATION_HEADER: correlation_id(), **(headers or {})})


def html_page(title: str, body_html: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>" + html.escape(title) + "</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#222}"
        "code{background:#f3f3f3;padding:.1rem .3rem}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left}"
        ".ok{color:#17692a}.fail{color:#a31515}</style></head><body>" + body_html + "</body></html>"
    )


def error_page(err: SsoError, app_link: str | None = None) -> str:
    """The page for the person signing in (shared/web/user_messages.py): what happened, what to
    do, the way back to the app when known. The admin's sentence stays in the JSON and events,
    which the correlation id leads to."""
    said = user_message(err.code)
    back = f'<p><a href="{html.escape(app_link)}">Return to the application</a></p>' if app_link else ""
    return html_page(
        said.title,
        f"<h1>{html.escape(said.title)}</h1><p>{html.escape(said.advice)}</p>{back}"
        "<p>If you ask your IT administrator for help, give them these details:<br>"
        f"Error code: <code>{html.escape(err.code)}</code><br>Reference: <code>{html.escape(correlation_id())}</code></p>",
    )


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/" if parts.scheme in ("http", "https") and parts.netloc else None


def app_link(req: func.HttpRequest) -> str | None:
    """Where an error page may send the person back: the app's origin, taken only from the org's
    own registered redirect URIs (the request's `redirect_uri` when it is one of them), and only
    when that names one origin. None before the org is known, or when storage cannot say."""
    slug = request_organization()
    try:
        stored = organizations.get_cached(slug) if slug else None
    except Exception:  # storage down, or whatever made the page necessary: no link, never a crash
        return None
    if stored is None:
        return None
    registered = stored.doc.redirect_uris
    asked = req.params.get("redirect_uri")
    origins = {_origin(uri) for uri in ([asked] if asked in registered else registered)}
    return origins.pop() if len(origins) == 1 else None


def wants_json(req: func.HttpRequest) -> bool:
    accept = (req.headers.get("accept") or "").lower()
    return "application/json" in accept and "text/html" not in accept


def error_response(err: SsoError, as_json: bool, req: func.HttpRequest | None = None) -> func.HttpResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="entra-sso"'} if err.status == 401 else None
    if as_json:  # the correlation id in the body too: clients log bodies, not headers
        return json_response({**err.to_json(), "correlation_id": correlation_id()}, err.status, headers)
    return html_response(error_page(err, app_link(req) if req is not None else None), err.status, headers)


def _record_refusal(req: func.HttpRequest, err: SsoError) -> None:
    """Refused input about an org the caller may act on becomes an event of that org. Sign-in
    failures record their own, richer events; storage being down leaves nothing to record to."""
    organization = request_organization()
    if organization is None or not 400 <= err.status < 500:
        return

    try:
        events.record(organization, "request.refused", outcome="failed", error=err.code,
                      detail={"method": req.method, "route": urlsplit(req.url).path, "message": err.message})
    except SsoError:
        pass


def _wrap(fn: Callable, browser: bool) -> Callable:
    @functools.wraps(fn)
    def handler(req: func.HttpRequest, *args, **kwargs) -> func.HttpResponse:
        new_correlation_id()
        try:
            return fn(req, *args, **kwargs)
        except UnknownOrganization as err:
            location = location_elsewhere(err.slug, req.url)
            if location:
                return redirect(location, 307)
            return error_response(err, as_json=not browser or wants_json(req), req=req)
        except SsoError as err:
            log(logging.WARNING, "request_failed", route=req.url.split("?")[0], error=err.code, status=err.status)
            _record_refusal(req, err)
            return error_response(err, as_json=not browser or wants_json(req), req=req)
        except Exception as exc:  # the last line of defence: no stack trace leaves the process
            logging.getLogger("entra_sso").exception("unhandled error (correlation id %s)", correlation_id())
            log(logging.ERROR, "request_crashed", route=req.url.split("?")[0], exception=type(exc).__name__)
            return error_response(SsoError("internal_error"), as_json=not browser or wants_json(req), req=req)

    return handler


def api_handler(fn: Callable) -> Callable:
    return _wrap(fn, browser=False)


def browser_handler(fn: Callable) -> Callable:
    return _wrap(fn, browser=True)


def _body_bytes(req: func.HttpRequest) -> bytes:
    body = req.get_body() or b""
    if len(body) > MAX_BODY_BYTES:
        raise SsoError("payload_too_large")
    return body


def _content_type(req: func.HttpRequest) -> str:
    return (req.headers.get("content-type") or "").split(";")[0].strip().lower()


def _parsed_json(req: func.HttpRequest) -> dict:
    """The JSON object body; refuses other content types, bad JSON and non-objects."""
    body = _body_bytes(req)
    if _content_type(req) != "application/json":
        raise SsoError("unsupported_media_type", "Send the body as JSON with 'Content-Type: application/json'.")
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float) if body else None
    except RecursionError:  # the decoder recursed past Python's limit: deeper than any of ours
        raise _too_deep() from None
    except (UnicodeDecodeError, ValueError):
        raise SsoError("invalid_json", "The body is not valid UTF-8 JSON.") from None
    if not isinstance(data, dict):
        raise SsoError("invalid_json", "The body must be a JSON object.")
    _check_json_values(data)
    return data


def read_json(req: func.HttpRequest, allowed: set[str] | frozenset[str]) -> dict:
    """The JSON object body; refuses other content types, bad JSON, non-objects and unknown fields."""
    return _known_fields(_parsed_json(req), allowed)


MAX_JSON_DEPTH = 32  # our bodies nest 3 deep; deeper is an attack on every recursive consumer


def _too_deep() -> SsoError:
    return SsoError("invalid_json", f"The body nests deeper than {MAX_JSON_DEPTH} levels.")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    """1e999 would become infinity, which JSON cannot write back."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _check_json_values(data) -> None:
    """Refuses nesting deeper than MAX_JSON_DEPTH and strings that are not Unicode text (a lone
    surrogate such as "\\ud800" is valid JSON but cannot be encoded anywhere we send it)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)) and depth > MAX_JSON_DEPTH:
            raise _too_deep()
        if isinstance(value, dict):
            pending.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise SsoError("invalid_json", "The body holds a string that is not valid Unicode (a lone surrogate such as \\ud800).") from None


def _known_fields(data: dict, allowed: set[str] | frozenset[str]) -> dict:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise SsoError("unknown_field", f"Unknown field(s): {', '.join(unknown)}. Accepted: {', '.join(sorted(allowed))}.")
    return data


def read_form(req: func.HttpRequest) -> dict[str, str]:
    """An application/x-www-form-urlencoded body; a field given twice is refused (parameter pollution)."""
    body = _body_bytes(req)
    if _content_type(req) != "application/x-www-form-urlencoded":
        raise SsoError("unsupported_media_type", "Send the form as application/x-www-form-urlencoded.")
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=bool(body), max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise SsoError("invalid_request", "The form body is not valid URL-encoded data.") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise SsoError("invalid_request", f"The form field {name!r} is given more than once.")
        fields[name] = value
    return fields


def page_limit(req: func.HttpRequest, default: int = 50) -> int:
    """The `limit` of a list request (the list functions clamp it to their page size)."""
    try:
        return int(req.params.get("limit", default))
    except ValueError:
        raise SsoError("invalid_request", "`limit` must be a whole number from 1 to 100.") from None


def email_query_param(req: func.HttpRequest) -> str:
    """The `email` query parameter, lowercased, or `invalid_request` saying what is wrong."""

    raw = query_param(req, "email", max_length=320)
    if not raw:
        raise SsoError("invalid_request", "Give the `email` to answer for, e.g. ?email=ada@contoso.com.")
    try:
        return validation.email("email", raw)
    except SsoError:
        raise SsoError("invalid_request", "`email` must be an email address such as ada@contoso.com.") from None


def query_param(req: func.HttpRequest, name: str, max_length: int = 2048) -> str | None:
    """A query parameter, refused when longer than `max_length`."""
    value = req.params.get(name)
    if value is not None and len(value) > max_length:
        raise SsoError("invalid_request", f"The `{name}` parameter is longer than {max_length} characters.")
    return value


Body = TypeVar("Body", bound=BaseModel)


class BodyProblems(SsoError):
    """A body refused by its model: every problem at once, each {field, code, message}. The
    top-level `error` is the first problem's code (unknown fields first, then missing ones, then
    the others in the model's field order)."""

    def __init__(self, problems: list[dict], description: str):
        super().__init__(problems[0]["code"], description)
        self.problems = problems

    def to_json(self) -> dict:
        return {**super().to_json(), "problems": self.problems}


def read_body(req: func.HttpRequest, model: type[Body], *, optional: bool = False, form: bool = False) -> Body:
    """The body validated by `model` (a shared.platform.request_body.RequestBody), parsed by the
    rules above (1 MiB, application/json, no NaN, depth, lone surrogates). `optional`: no body
    at all is `{}`; `form`: an application/x-www-form-urlencoded body is accepted too."""
    if optional and not (req.get_body() or b"").strip():
        data: dict = {}
    elif form and _content_type(req) == "application/x-www-form-urlencoded":
        data = read_form(req)
    else:
        data = _parsed_json(req)
    return validate_body(model, data)


def read_form_body(req: func.HttpRequest, model: type[Body]) -> Body:
    """An application/x-www-form-urlencoded body validated by `model`."""
    return validate_body(model, read_form(req))


def validate_body(model: type[Body], data: dict) -> Body:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise _problems(model, err) from None


def _problems(model: type[BaseModel], err: ValidationError) -> BodyProblems:
    unknown: list[str] = []
    missing: list[dict] = []
    others: list[dict] = []
    for error in err.errors(include_url=False):
        field = ".".join(str(part) for part in error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            unknown.append(field)
        elif kind == "missing":
            message = getattr(model, "missing", {}).get(field, f"`{field}` is required.")
            missing.append({"field": field, "code": "missing_field", "message": message})
        elif kind in CATALOGUE:  # a rule's SsoError (shared/platform/request_body.py)
            others.append({"field": field, "code": kind, "message": error["ctx"]["message"]})
        else:
            others.append({"field": field, "code": "invalid_field", "message": f"`{field}`: {error['msg']}."})
    unknown.sort()
    problems = [{"field": name, "code": "unknown_field", "message": f"Remove `{name}`: this body has no such field."} for name in unknown]
    problems += missing + others
    sentences = [problem["message"] for problem in missing + others]
    if unknown:  # last, so the description ends with the accepted fields (clients and the fuzz read them)
        sentences.append(f"Unknown field(s): {', '.join(unknown)}. Accepted: {', '.join(sorted(model.model_fields))}.")
    return BodyProblems(problems, " ".join(sentences))
