"""Structural validation of infra/ without a Bicep compiler (none installs from our registries; CI
compiles with the real one): every file parses, every name resolves, modules and parameter files
agree with what they call, and resource types carry API versions."""
from __future__ import annotations

import re

import pytest

from tests.infra import model
from tests.infra.bicep_ast import BUILTIN_FUNCTIONS, ParseError, calls, free_identifiers, parse_text

BICEP_FILES = model.bicep_files()
PARAM_FILES = model.param_files()
NAMESPACES = {"az", "sys"}


def ids(paths):
    return [str(p.relative_to(model.INFRA)) for p in paths]


def test_infra_has_main_modules_and_params():
    assert model.MAIN in BICEP_FILES
    assert any(p.parent.name == "modules" for p in BICEP_FILES)
    assert PARAM_FILES


@pytest.mark.parametrize("path", BICEP_FILES + PARAM_FILES, ids=ids(BICEP_FILES + PARAM_FILES))
def test_file_parses(path):
    assert model.load(path).decls


@pytest.mark.parametrize("path", BICEP_FILES, ids=ids(BICEP_FILES))
def test_every_identifier_is_declared(path):
    file = model.load(path)
    declared = {d.name for d in file.decls if d.kind in ("param", "var", "resource", "module", "type")}
    unknown = {
        (ident.value, ident.line)
        for decl in file.decls if decl.value is not None
        for ident in free_identifiers(decl.value)
        if ident.value not in declared | NAMESPACES
    }
    assert not unknown, f"undeclared names (name, line): {sorted(unknown)}"


@pytest.mark.parametrize("path", BICEP_FILES, ids=ids(BICEP_FILES))
def test_every_function_is_a_builtin(path):
    file = model.load(path)
    nodes = [d.value for d in file.decls if d.value is not None] + [dec for d in file.decls for dec in d.decorators]
    unknown = {(c.value, c.line) for node in nodes for c in calls(node) if c.value not in BUILTIN_FUNCTIONS}
    assert not unknown, f"unknown functions (name, line): {sorted(unknown)}"


@pytest.mark.parametrize("path", BICEP_FILES, ids=ids(BICEP_FILES))
def test_no_unused_params_or_vars(path):
    file = model.load(path)
    used = {i.value for d in file.decls if d.value is not None for i in free_identifiers(d.value)}
    unused = [d.name for d in file.decls if d.kind in ("param", "var") and d.name not in used]
    assert not unused, f"unused: {unused}"


@pytest.mark.parametrize("path", BICEP_FILES, ids=ids(BICEP_FILES))
def test_resource_types_carry_api_versions(path):
    for decl in model.load(path).resources.values():
        assert re.fullmatch(r"[A-Z][A-Za-z]+\.[A-Za-z]+(/[A-Za-z]+)+@\d{4}-\d{2}-\d{2}(-preview)?", decl.type), decl.type


@pytest.mark.parametrize("path", BICEP_FILES, ids=ids(BICEP_FILES))
def test_modules_exist_and_get_exactly_their_params(path):
    file = model.load(path)
    for decl in file.modules.values():
        target = file.path.parent / decl.type
        assert target.is_file(), f"module {decl.name}: {decl.type} does not exist"
        module = model.module_file(file, decl)
        passed = set(decl.body().get("params").keys())
        declared = set(module.params)
        required = {n for n, p in module.params.items() if p.value is None and not (p.type or "").endswith("?")}
        assert passed <= declared, f"module {decl.name} gets params it does not declare: {passed - declared}"
        assert required <= passed, f"module {decl.name} misses required params: {required - passed}"


@pytest.mark.parametrize("path", BICEP_FILES, ids=ids(BICEP_FILES))
def test_module_outputs_referenced_exist(path):
    file = model.load(path)
    for decl in file.decls:
        if decl.value is None:
            continue
        for node in decl.value.walk():
            target = node.children[0] if node.kind == "prop" and node.children else None
            if target is not None and target.kind == "prop" and target.value == "outputs" \
                    and target.children[0].kind == "ident" and target.children[0].value in file.modules:
                module = model.module_file(file, file.modules[target.children[0].value])
                assert node.value in module.outputs, (
                    f"line {node.line}: {target.children[0].value}.outputs.{node.value} is not an output of {module.path.name}")


@pytest.mark.parametrize("path", PARAM_FILES, ids=ids(PARAM_FILES))
def test_param_file_matches_main(path):
    file = model.load(path)
    assert (path.parent / file.using()).resolve() == model.MAIN.resolve(), "a parameter file must use ../main.bicep"
    main = model.load(model.MAIN)
    assigned = file.params
    assert set(assigned) <= set(main.params), f"not params of main.bicep: {set(assigned) - set(main.params)}"
    required = {n for n, p in main.params.items() if p.value is None}
    assert required <= set(assigned), f"required params not set: {required - set(assigned)}"
    python_types = {"string": str, "int": int, "bool": bool, "object": dict, "array": list}
    for name, decl in assigned.items():
        value = decl.value.literal()
        assert isinstance(value, python_types[main.params[name].type]), f"{name} is not a {main.params[name].type}"
        allowed = main.params[name].decorator("allowed")
        if allowed is not None:
            assert value in allowed.children[0].literal(), f"{name} = {value!r} is not allowed"


@pytest.mark.parametrize("text", [
    "param a string\nresource r 'Microsoft.Web/sites@2024-04-01' = {\n  name: a\n",  # unclosed object
    "param a string = 'unterminated\n",
    "frobnicate x = 1\n",
    "var a = {\n  b: 1\n  b: 2\n}\n",  # duplicate property
    "var a = { b: 1 c: 2 }\n",  # missing separator
    "var a = '${b'\n",
])
def test_parser_refuses_broken_bicep(text):
    with pytest.raises(ParseError):
        parse_text(text)


def test_parser_finds_undeclared_names():
    decls = parse_text("param a string\nvar b = '${a}-${c}'\nvar d = [for x in e: x]\nvar f = map(g, y => y.z)\n")
    free = {i.value for d in decls if d.value is not None for i in free_identifiers(d.value)}
    assert free == {"a", "c", "e", "g"}
