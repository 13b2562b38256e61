"""Cold import time of function_app (what a Functions cold start pays before the first request)
against a bare import of the libraries it depends on, measured in the same run.

    .venv/bin/python -m bench.cold_import [--runs 21]

The app is measured as it is deployed: the bundle scripts/package.py builds (the app's files with
their bytecode, as pip ships the dependencies'), and also as the source tree, where this machine's
PYTHONDONTWRITEBYTECODE makes every run compile every project module. Each run starts fresh
interpreters for the baseline and the app back to back, so a slow moment of the machine slows
both; the ratio is the median of those paired ratios. Target: the deployed app at most 1.15x the
bare dependencies (heavy modules are imported where used).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import package  # noqa: E402  scripts/package.py, the deploy workflow's bundle builder

# pydantic as shared/storage/record.py imports it (`import pydantic` alone is lazy and loads little).
DEPENDENCIES = ("import azure.functions, azure.data.tables, msal, jwt, requests, cryptography.x509, onelogin.saml2.auth; "
                "from pydantic import BaseModel, ConfigDict, Field")
APP = "import function_app"
NOTHING = "pass"


def seconds(statement: str, cwd: Path) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], cwd=cwd, check=True)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        bundle = package.build(Path(scratch) / "app")
        rows: list[tuple[float, float, float, float]] = []
        for _ in range(args.runs):
            rows.append((seconds(NOTHING, ROOT), seconds(DEPENDENCIES, ROOT), seconds(APP, bundle), seconds(APP, ROOT)))
    interpreter, dependencies, deployed, source = (statistics.median(column) for column in zip(*rows))
    deployed_ratio = statistics.median(d / b for _, b, d, _ in rows)
    source_ratio = statistics.median(s / b for _, b, _, s in rows)
    print(f"bare interpreter                      {interpreter * 1000:7.1f} ms")
    print(f"bare dependencies ({DEPENDENCIES.removeprefix('import ')})")
    print(f"                                      {dependencies * 1000:7.1f} ms")
    print(f"import function_app, deployed bundle  {deployed * 1000:7.1f} ms")
    print(f"import function_app, source tree      {source * 1000:7.1f} ms   (compiles every project module)")
    print(f"ratio deployed / dependencies         {deployed_ratio:7.2f}x   (target: at most 1.15x; median of {args.runs} paired runs)")
    print(f"ratio source tree / dependencies      {source_ratio:7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
