"""Builds the Functions bundle the deploy workflow ships: the app's files, with their bytecode.

    python3.11 scripts/package.py build/app

The platform runs the app from a read-only package, where Python cannot write `__pycache__`, so
without shipped bytecode every cold start compiles every project module from source (as pip
compiles the dependencies when it installs them, we compile ours here). The bytecode is
checked-hash: Python verifies it against the source's hash, so a stale file is recompiled rather
than used, and the zip's timestamps do not matter. It must be built by the runtime's Python
version (infra/modules/functionapp.bicep), or Python ignores it.
"""
from __future__ import annotations

import compileall
import py_compile
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = (3, 11)  # linuxFxVersion / runtime version in infra/modules/functionapp.bicep
FILES = ("function_app.py", "host.json", "requirements.txt")
PACKAGES = ("functions", "shared")


def build(target: Path) -> Path:
    if sys.version_info[:2] != RUNTIME:
        raise SystemExit(f"Build the bundle with Python {RUNTIME[0]}.{RUNTIME[1]} (the Functions runtime's version); "
                         f"this is {sys.version_info[0]}.{sys.version_info[1]}, whose bytecode the runtime would ignore.")
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in FILES:
        shutil.copy2(ROOT / name, target / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    compiled = compileall.compile_dir(target, quiet=1, workers=0,
                                      invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    if not compiled:
        raise SystemExit("Compiling the bundle failed (see the errors above).")
    return target


def main() -> int:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(f"built {build(Path(sys.argv[1]).resolve())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
