"""The house's rules, checked: the layers and contracts of .importlinter, no project import
hidden inside a function (except the commented ones that keep the SAML stack or dnspython off
the cold-start path), and tidy import blocks."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = Path(sys.executable).parent
# The comment an allowed inner import carries: it keeps a heavy stack off the cold start.
COLD_START = re.compile(r"#.*(cold[ -]start|on first (\w+ )?use)")


def _run(tool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(TOOLS / tool), *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_import_linter_contracts_hold():
    result = _run("lint-imports", "--no-cache")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def _modules() -> list[Path]:
    return sorted([*ROOT.glob("shared/**/*.py"), *ROOT.glob("functions/*.py"), ROOT / "function_app.py"])


def _inner_project_imports(path: Path, root: Path = ROOT) -> list[str]:
    source = path.read_text()
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom):
                names = [inner.module or ""]
            elif isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            else:
                continue
            if any(name.split(".")[0] in ("shared", "functions") for name in names) and not COLD_START.search(lines[inner.lineno - 1]):
                found.append(f"{path.relative_to(root)}:{inner.lineno}: {lines[inner.lineno - 1].strip()}")
    return found


def test_no_project_import_hides_inside_a_function():
    hidden = [line for path in _modules() for line in _inner_project_imports(path)]
    assert not hidden, "import these at the top (or say why not with a '# ... cold start' comment):\n" + "\n".join(hidden)


def test_the_check_finds_a_hidden_import_and_spares_a_commented_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from shared.orgs import events\n\n\n"
                      "def g():\n    from shared import saml  # the SAML stack loads on first SAML use\n"
                      "def h():\n    from shared import saml  # cold start\n")
    found = _inner_project_imports(sample, tmp_path)
    assert len(found) == 1 and "events" in found[0], found


def test_import_blocks_are_sorted_and_nothing_imported_is_unused():
    result = _run("ruff", "check", "--no-cache", "shared", "functions", "function_app.py", "local", "bench", "tests")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_modules_that_define_pydantic_models_do_not_postpone_annotations():
    """With `from __future__ import annotations` every annotation is a string that pydantic
    evaluates when the class is made: for our models, about a tenth of the cold import."""
    import importlib

    from pydantic import BaseModel

    postponing = []
    for path in _modules():
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = importlib.import_module(name)
        defines = any(isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == name
                      for value in vars(module).values())
        tree = ast.parse(path.read_text())
        if defines and any(isinstance(node, ast.ImportFrom) and node.module == "__future__" for node in tree.body):
            postponing.append(name)
    assert postponing == []
