"""The parsed infra/ tree and the few questions the tests ask of it, in one place."""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Callable

from tests.infra.bicep_ast import BicepFile, Decl, Node, parse

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MAIN = INFRA / "main.bicep"
PARAMS = INFRA / "params"


@functools.lru_cache(maxsize=None)
def load(path: Path) -> BicepFile:
    return parse(Path(path).resolve())


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


def param_files() -> list[Path]:
    return sorted(PARAMS.glob("*.bicepparam"))


def module_file(owner: BicepFile, module: Decl) -> BicepFile:
    return load((owner.path.parent / module.type).resolve())


def all_decls(kind: str) -> list[tuple[BicepFile, Decl]]:
    return [(f, d) for path in bicep_files() for f in [load(path)] for d in f.decls if d.kind == kind]


# ---------------------------------------------------------------------------- app settings

def function_app_module() -> tuple[BicepFile, Decl, BicepFile]:
    """main.bicep, its module declaration for the Function App, and that module's file."""
    main = load(MAIN)
    [(module_decl, module)] = [
        (decl, module_file(main, decl)) for decl in main.modules.values()
        if module_file(main, decl).resources_of_type("Microsoft.Web/sites")
        and not module_file(main, decl).resources_of_type("Microsoft.Web/sites")[0].existing
    ]
    return main, module_decl, module


def site(module: BicepFile) -> Decl:
    [app] = [d for d in module.resources_of_type("Microsoft.Web/sites") if not d.existing]
    return app


def app_settings() -> dict[str, tuple[BicepFile, Node]]:
    """Every app setting the Function App gets: name -> (file that sets it, value expression).

    The site's siteConfig.appSettings must be `[for s in items(union(<host var>, <sso param>)):
    {name: s.key, value: s.value}]`, the SSO_* object coming from main.bicep; anything else is a
    shape these tests do not understand, and they fail rather than guess."""
    main, module_decl, module = function_app_module()
    settings_node = site(module).body().get("properties", "siteConfig", "appSettings")
    assert settings_node is not None and settings_node.kind == "for", "siteConfig.appSettings must be a for-expression"
    iterable, body = settings_node.children
    assert iterable.kind == "call" and iterable.value == "items", "appSettings must iterate items(union(...))"
    [union] = iterable.children
    assert union.kind == "call" and union.value == "union" and all(c.kind == "ident" for c in union.children)
    loop_var = settings_node.value[0]
    assert body.kind == "obj" and body.keys() == ["name", "value"]
    assert (body.get("name").kind, body.get("name").value) == ("prop", "key")
    assert (body.get("value").kind, body.get("value").value) == ("prop", "value")
    assert body.get("name").children[0].value == loop_var and body.get("value").children[0].value == loop_var

    settings: dict[str, tuple[BicepFile, Node]] = {}
    passed = module_decl.body().get("params")
    for source in union.children:
        if source.value in module.vars:
            owner, obj = module, module.vars[source.value].value
        elif source.value in module.params:
            given = passed.get(source.value)
            assert given is not None and given.kind == "ident" and given.value in main.vars, (
                f"main.bicep must pass {source.value} as one of its own vars")
            owner, obj = main, main.vars[given.value].value
        else:
            raise AssertionError(f"{source.value} is neither a var nor a param of {module.path.name}")
        assert obj.kind == "obj", f"{source.value} must be an object literal"
        for key, value in obj.value:
            assert key not in settings, f"app setting {key} is set twice"
            settings[key] = (owner, value)
    return settings


# ---------------------------------------------------------------------------- evaluation

class Unevaluable(Exception):
    pass


def param_values(param_file: Path) -> dict[str, Any]:
    """Literal values assigned in a .bicepparam file."""
    return {name: decl.value.literal() for name, decl in load(param_file).params.items()}


class Evaluator:
    """Evaluates the deploy-time expressions the settings use, with stand-ins for what only Azure
    knows (module outputs such as endpoints, environment()). An expression outside this subset
    raises Unevaluable, so a test can never pass by skipping part of a value."""

    ENVIRONMENT = {"authentication": {"loginEndpoint": "https://login.microsoftonline.com/"},
                   "suffixes": {"storage": "core.windows.net"}}

    def __init__(self, file: BicepFile, params: dict[str, Any], outputs: dict[tuple[str, str], Any]):
        self.file, self.params, self.outputs = file, params, outputs

    def value(self, node: Node, scope: dict[str, Any] | None = None) -> Any:
        scope = scope or {}
        kind = node.kind
        if kind in ("num", "bool", "null"):
            return node.value
        if kind == "str":
            return "".join(p if isinstance(p, str) else self._text(self.value(p, scope)) for p in node.value)
        if kind == "obj":
            return {k: self.value(v, scope) for k, v in node.value}
        if kind == "arr":
            return [self.value(c, scope) for c in node.children]
        if kind == "ident":
            return self._ident(node.value, scope)
        if kind == "prop":
            return self._prop(node, scope)
        if kind == "lambda":
            names, body = node.value, node.children[0]
            return lambda *args: self.value(body, {**scope, **dict(zip(names, args))})
        if kind == "call":
            return self._call(node.value, [self.value(a, scope) for a in node.children])
        raise Unevaluable(f"{kind} at line {node.line}")

    @staticmethod
    def _text(value: Any) -> str:
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise Unevaluable(f"interpolating {type(value).__name__}")
        return str(value)

    def _ident(self, name: str, scope: dict[str, Any]) -> Any:
        if name in scope:
            return scope[name]
        if name in self.params:
            return self.params[name]
        if name in self.file.params and self.file.params[name].value is not None:
            return self.value(self.file.params[name].value)
        if name in self.file.vars:
            return self.value(self.file.vars[name].value)
        raise Unevaluable(f"no value for {name}")

    def _prop(self, node: Node, scope: dict[str, Any]) -> Any:
        target = node.children[0]
        if target.kind == "prop" and target.value == "outputs" and target.children[0].kind == "ident" \
                and target.children[0].value in self.file.modules:
            key = (target.children[0].value, node.value)
            if key not in self.outputs:
                raise Unevaluable(f"no stand-in for module output {key}")
            return self.outputs[key]
        value = self.value(target, scope)
        if isinstance(value, dict) and node.value in value:
            return value[node.value]
        raise Unevaluable(f".{node.value} at line {node.line}")

    def _call(self, name: str, args: list) -> Any:
        functions: dict[str, Callable[..., Any]] = {
            "environment": lambda: self.ENVIRONMENT,
            "items": lambda obj: [{"key": k, "value": obj[k]} for k in sorted(obj, key=str.lower)],
            "toObject": lambda entries, key_of, value_of=(lambda e: e): {key_of(e): value_of(e) for e in entries},
            "string": lambda v: v if isinstance(v, str) else json.dumps(v, separators=(",", ":")),
        }
        if name not in functions:
            raise Unevaluable(f"{name}()")
        return functions[name](*args)
