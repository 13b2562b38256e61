"""What each HTTP operation takes and answers, declared beside its handler in functions/.

    @bp.route(route="api/organizations/{org}", methods=["GET", "PATCH", "DELETE"])
    @operation("GET", "api/organizations/{org}", "Read an organization", auth="api_key",
               responses={200: OrganizationView}, errors=("not_found",))
    @operation("PATCH", ...)
    @api_handler
    def organization(req): ...

The OpenAPI document (GET /api/openapi.json) is built from these declarations and the pydantic
models they name, the same models that validate the bodies, so the document cannot drift from
the code; a test compares the declarations with the routes registered in function_app.py.
Declaring registers and returns the handler unchanged: nothing runs per request.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, Union

from pydantic import BaseModel

# Who may call: nobody in particular; any API key (global or the org's own); the global key only;
# a directory's SCIM bearer token; a portal session cookie; the Functions host key (timers on demand).
Auth = Literal["anonymous", "api_key", "global_key", "scim_token", "portal_session", "functions_key"]

# A response body is a pydantic model, or a media type with no schema ("text/html", "application/xml").
Body = Union[type[BaseModel], str, None]


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: after this response, `operation_id` can be called with `parameters`
    (its parameter -> a runtime expression such as "$response.body#/id" or "$request.path.org").
    The stateful fuzz (tests/api) follows them: create org -> read, change, delete it, ..."""

    status: int
    operation_id: str
    parameters: dict[str, str]


@dataclass(frozen=True)
class Operation:
    method: str
    route: str  # as registered with the blueprint, no leading slash: "api/organizations/{org}"
    summary: str
    auth: Auth
    responses: dict[int, Body]
    # the request body (JSON unless body_media_types says); or a function answering it, called only when the
    # document is built, so a heavy model library (scim2-models) stays off the cold start
    body: type[BaseModel] | Callable[[], type[BaseModel]] | None = None
    body_media_types: tuple[str, ...] = ("application/json",)
    query: type[BaseModel] | None = None  # query parameters, one model field each
    errors: tuple[str, ...] = ()  # stable error codes this operation can answer (shared/platform/errors.py)
    description: str = ""
    handler: str = ""  # module.function, filled in by the decorator
    operation_id: str = ""  # unique; default: method + the handler's name
    tags: tuple[str, ...] = ()  # default: from the route (shared/web/openapi.py)
    links: tuple[Link, ...] = ()
    headers: dict[int, dict[str, str]] | None = None  # status -> response header -> what it holds (X-Correlation-Id is implied)
    body_required: bool = True  # False: no body at all is accepted too


def body_model(op: Operation) -> type[BaseModel] | None:
    """The request body's model, resolving a lazily given one."""
    if op.body is None or isinstance(op.body, type):
        return op.body
    return op.body()


OPERATIONS: list[Operation] = []


def operation(method: str, route: str, summary: str, *, auth: Auth, responses: dict[int, Body],
              body: type[BaseModel] | Callable[[], type[BaseModel]] | None = None, body_media_types: tuple[str, ...] = ("application/json",),
              query: type[BaseModel] | None = None, errors: tuple[str, ...] = (), description: str = "",
              operation_id: str = "", tags: tuple[str, ...] = (), links: tuple[Link, ...] = (),
              headers: dict[int, dict[str, str]] | None = None, body_required: bool = True) -> Callable:
    def declare(fn: Callable) -> Callable:
        OPERATIONS.append(Operation(method.upper(), route.strip("/"), summary, auth, dict(responses), body, body_media_types,
                                    query, tuple(errors), description, f"{fn.__module__}.{fn.__qualname__}",
                                    operation_id or f"{method.lower()}_{fn.__name__}", tuple(tags), tuple(links), headers, body_required))
        return fn
    return declare
