"""A method a route does not take answers 405 `method_not_allowed` (JSON, `Allow` listing the
route's methods) on every route: from functions the app registers (functions/method_not_allowed.py),
since the Functions host itself answers a bare 404, as the dev host does."""
from __future__ import annotations

import re
import threading

import azure.functions as func
import pytest

from functions.method_not_allowed import ALL_METHODS, allowed_methods, is_guard
from tests.conftest import ApiClient
from tests.fuzz.routes import registered_functions


def _own_methods() -> dict[str, set[str]]:
    """Each route's methods, from the app's own functions only (not the 405 ones)."""
    routes: dict[str, set[str]] = {}
    for function in registered_functions():
        trigger = function.get_trigger()
        if trigger.get_binding_name() == "httpTrigger" and not is_guard(function):
            routes.setdefault(trigger.route.strip("/"), set()).update(str(getattr(m, "value", m)) for m in trigger.methods)
    return routes


def _path(route: str) -> str:
    return "/" + re.sub(r"\{\w+(?::[^}]*)?\}", "x", route)


def test_every_route_takes_every_method_in_some_function():
    """What makes the 405 hold in Azure: the host routes every method of every route to a function."""
    registered = allowed_methods(__import__("function_app").app)
    assert registered and all(methods == set(ALL_METHODS) for methods in registered.values()), registered


@pytest.mark.parametrize("route", sorted(_own_methods()))
def test_each_method_a_route_does_not_take_is_a_json_405_with_allow(stack, route):
    allowed = _own_methods()[route]
    client = ApiClient(stack.base_url, stack.bootstrap_key)
    for method in (m for m in ALL_METHODS if m not in allowed):
        answer = client.request(method, _path(route), headers={"Accept": "text/html"})
        assert answer.status_code == 405, (method, route, answer.status_code, answer.text[:200])
        assert answer.headers["Allow"] == ", ".join(sorted(allowed))
        assert answer.headers["X-Correlation-Id"]
        if method != "HEAD":
            body = answer.json()
            assert body["error"] == "method_not_allowed" and body["correlation_id"] == answer.headers["X-Correlation-Id"]
            assert method in body["error_description"] and all(m in body["error_description"] for m in allowed)


def test_the_dev_host_alone_answers_404_to_a_method_no_function_takes(stack):
    """As the Functions host does: the 405s above come from the app's functions, not the host."""
    from local.azurite import free_port
    from local.devhost import make_server

    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="only-get", methods=["GET"])
    def only_get(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("ok")

    port = free_port()
    server = make_server("127.0.0.1", port, app, stack.bootstrap_key)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = ApiClient(f"http://127.0.0.1:{port}", None)
        assert client.get("/only-get").status_code == 200
        assert client.post("/only-get").status_code == 404
    finally:
        server.shutdown()
        server.server_close()
