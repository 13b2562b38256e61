"""405 `method_not_allowed`, with an `Allow` header, for every method a route does not take.

The Functions host answers a bare 404 to a method that no function of a route accepts
(azure-functions-host#10098), so the answer cannot come from the host, nor be left to each
handler (a handler never sees the methods it was not registered for). Instead, once every other
blueprint is registered, `blueprint(app)` reads the app's routes and registers one function per
route for all the methods it does not take: the host then routes those here, in Azure as on the
dev host, and no handler changes. Registered last by function_app.py.
"""
from __future__ import annotations

import re
from typing import Callable

import azure.functions as func

from shared.platform.errors import SsoError
from shared.platform.observability import correlation_id
from shared.web.http import api_handler, json_response

FUNCTION_PREFIX = "method_not_allowed__"  # the functions this module registers (tests skip them)
ALL_METHODS = tuple(method.value for method in func.HttpMethod)  # every method an HTTP trigger can take


def _methods(trigger) -> frozenset[str]:
    return frozenset(str(getattr(m, "value", m)).upper() for m in (trigger.methods or ALL_METHODS))


def allowed_methods(app: func.FunctionApp) -> dict[str, frozenset[str]]:
    """Each HTTP route of `app` with the methods its functions take together. get_functions()
    refuses to answer twice (it remembers the names it returned), so that memory is put back
    as it was: the worker's own indexing still calls it once."""
    remembered, app.functions_bindings = app.functions_bindings, None
    try:
        functions = app.get_functions()
    finally:
        app.functions_bindings = remembered
    routes: dict[str, frozenset[str]] = {}
    for function in functions:
        trigger = function.get_trigger()
        if trigger.get_binding_name() == "httpTrigger":
            route = trigger.route.strip("/")
            routes[route] = routes.get(route, frozenset()) | _methods(trigger)
    return routes


def is_guard(function) -> bool:
    """Whether `function` (of app.get_functions()) is one of the 405 functions registered here."""
    return function.get_function_name().startswith(FUNCTION_PREFIX)


def _refusal(allowed: frozenset[str]) -> Callable[[func.HttpRequest], func.HttpResponse]:
    allow = ", ".join(sorted(allowed))

    def refuse(req: func.HttpRequest) -> func.HttpResponse:
        err = SsoError("method_not_allowed", f"{req.method} is not allowed on this route; it allows {allow}.")
        return json_response({**err.to_json(), "correlation_id": correlation_id()}, err.status, {"Allow": allow})

    return api_handler(refuse)


def _function_name(route: str) -> str:
    return FUNCTION_PREFIX + re.sub(r"[^A-Za-z0-9]+", "_", route).strip("_")


def blueprint(app: func.FunctionApp) -> func.Blueprint:
    """One function per route of `app`, taking every method the route's own functions do not."""
    bp = func.Blueprint()
    for route, allowed in allowed_methods(app).items():
        others = [method for method in ALL_METHODS if method not in allowed]
        if others:
            bp.function_name(_function_name(route))(bp.route(route=route, methods=others)(_refusal(allowed)))
    return bp
