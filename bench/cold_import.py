"""Cold import time of function_app (what a Functions cold start pays before the first request)
against a bare import of the libraries it depends on, measured in the same run.

    .venv/bin/python -m bench.cold_import [--runs 15]

Each figure is the median wall time of a fresh interpreter doing only that import. Target:
function_app at most 1.15x the bare dependencies (heavy modules are imported where used).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# pydantic as shared/storage/record.py imports it (`import pydantic` alone is lazy and loads little).
DEPENDENCIES = ("import azure.functions, azure.data.tables, msal, jwt, requests, cryptography.x509, onelogin.saml2.auth; "
                "from pydantic import BaseModel, ConfigDict, Field")
APP = "import function_app"
NOTHING = "pass"


def median_seconds(statement: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], cwd=ROOT, check=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    interpreter = median_seconds(NOTHING, args.runs)
    dependencies = median_seconds(DEPENDENCIES, args.runs)
    app = median_seconds(APP, args.runs)
    print(f"bare interpreter                 {interpreter * 1000:7.1f} ms")
    print(f"bare dependencies ({DEPENDENCIES.removeprefix('import ')})")
    print(f"                                 {dependencies * 1000:7.1f} ms")
    print(f"import function_app              {app * 1000:7.1f} ms")
    print(f"ratio app / dependencies         {app / dependencies:7.2f}x   (target: at most 1.15x)")
    print(f"ratio without the interpreter    {(app - interpreter) / (dependencies - interpreter):7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
