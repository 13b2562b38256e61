"""The README documents every error code the service can answer, generated from the catalogue."""
from pathlib import Path

import runpy

ROOT = Path(__file__).resolve().parent.parent


def test_error_table_in_readme_is_current():
    generator = runpy.run_path(str(ROOT / "scripts" / "error_table.py"))
    readme = (ROOT / "README.md").read_text()
    assert generator["with_table"](readme) == readme, "run: .venv/bin/python scripts/error_table.py"


def test_every_error_code_is_documented():
    from shared.platform.errors import CATALOGUE

    readme = (ROOT / "README.md").read_text()
    assert [code for code in CATALOGUE if f"`{code}`" not in readme] == []
