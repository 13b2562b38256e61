"""Every HTTP route function_app registers, enumerated as the dev host does (a route added later is
fuzzed without touching the tests), with its path parameters filled from real records."""
from __future__ import annotations

import re
from dataclasses import dataclass

import function_app

_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")


@dataclass(frozen=True)
class Route:
    template: str  # e.g. api/organizations/{org}/connections/{connection}
    methods: tuple[str, ...]

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.template))

    @property
    def is_api(self) -> bool:
        """API routes answer JSON errors always; browser routes may answer an HTML page."""
        return self.template.startswith("api/") or self.template == "auth/sso/discover"

    def path(self, values: dict[str, str]) -> str:
        return "/" + _PARAM.sub(lambda m: values[m.group(1)], self.template)


def registered_functions():
    """app.get_functions(), callable again: it remembers the names it returned and refuses to
    return them twice (the dev host in this process has already called it)."""
    app = function_app.app
    seen, app.functions_bindings = app.functions_bindings, None
    try:
        return app.get_functions()
    finally:
        app.functions_bindings = seen


def http_routes() -> list[Route]:
    from functions.method_not_allowed import is_guard

    routes = []
    for function in registered_functions():
        trigger = function.get_trigger()
        # the 405s of the methods a route does not take: tests/admin/test_method_not_allowed.py sends every one
        if trigger.get_binding_name() == "httpTrigger" and not is_guard(function):
            methods = tuple(sorted(str(getattr(m, "value", m)).upper() for m in (trigger.methods or ["GET", "POST"])))
            routes.append(Route(trigger.route.strip("/"), methods))
    return sorted(routes, key=lambda r: r.template)


def body_methods(route: Route) -> tuple[str, ...]:
    return tuple(m for m in route.methods if m in ("POST", "PATCH", "PUT"))
