"""The README documents every error code the service can answer, generated from the catalogue."""
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_error_table_in_readme_is_current():
    generator = runpy.run_path(str(ROOT / "scripts" / "error_table.py"))
    readme = (ROOT / "README.md").read_text()
    assert generator["with_table"](readme) == readme, "run: .venv/bin/python scripts/error_table.py"


def test_every_error_code_is_documented():
    from shared.platform.errors import CATALOGUE

    readme = (ROOT / "README.md").read_text()
    assert [code for code in CATALOGUE if f"`{code}`" not in readme] == []


def test_the_route_table_names_each_routes_handler():
    """README's route table: each registered route is in the row of the functions/ module that
    registers it (`.../x` stands for the row's first route with its last segment replaced)."""
    from tests.fuzz.routes import registered_functions

    readme = (ROOT / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `") and "`functions/" in line]
    missing = []
    for function in registered_functions():
        trigger = function.get_trigger()
        if trigger.get_binding_name() != "httpTrigger":
            continue
        module = function.get_user_function().__module__.split(".")[-1]
        if module == "method_not_allowed":  # every route's other methods: one README line of their own
            continue
        route = trigger.route.strip("/")
        row = next((r for r in rows if f"`functions/{module}.py`" in r.split("|")[2]), None)
        shown = row is not None and (f" {route}`" in row or any(
            f"`.../{route[len(base) + 1:]}`" in row for base in _bases(row) if route.startswith(base + "/")))
        if not shown:
            missing.append(f"{route} (functions/{module}.py)")
    assert not missing, f"add to README's route table: {missing}"


def _bases(row: str) -> list[str]:
    """The full routes a row names, and each with its last segment dropped (what `.../x` extends)."""
    import re

    full = re.findall(r"`(?:[A-Z/]+ )?(api/[^`]+|auth/[^`]+)`", row)
    return full + [route.rsplit("/", 1)[0] for route in full]
