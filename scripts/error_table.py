"""Writes the README's error-code table from shared/platform/errors.py's CATALOGUE (the one source), so
the documented codes cannot drift from the ones the service answers.

    .venv/bin/python scripts/error_table.py          # rewrite README.md in place
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.platform.errors import CATALOGUE  # noqa: E402

README = ROOT / "README.md"
START, END = "<!-- error-codes:start -->", "<!-- error-codes:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table() -> str:
    rows = [f"| `{code}` | {spec.status} | {_cell(spec.fix)} |" for code, spec in CATALOGUE.items()]
    return "\n".join(["| error | status | what to do |", "|---|---|---|", *rows])


def with_table(readme: str) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table()}\n{END}{tail}"


if __name__ == "__main__":
    README.write_text(with_table(README.read_text()))
