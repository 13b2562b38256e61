"""The deployment workflow keeps its safety properties: keyless OIDC login, tests before anything
touches Azure, what-if before the deployment, the Flex Consumption way of deploying code, and a
health check at the end. (Plain-text checks: the project carries no YAML parser.)"""
from __future__ import annotations

import re
import subprocess
import sys

from shared.platform.settings import REGIONS
from tests.infra.model import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import package  # noqa: E402  scripts/package.py, the bundle the workflow ships

WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"


def text() -> str:
    return WORKFLOW.read_text(encoding="utf-8")


def test_logs_in_with_oidc_and_no_stored_credential():
    workflow = text()
    assert "id-token: write" in workflow
    assert "uses: azure/login@v2" in workflow
    for name in ("client-id", "tenant-id", "subscription-id"):
        assert re.search(rf"{name}: \$\{{\{{ vars\.AZURE_[A-Z_]+ \}}\}}", workflow), name
    for forbidden in ("creds:", "client-secret", "publish-profile", "AZURE_CREDENTIALS", "secrets."):
        assert forbidden not in workflow, forbidden


def test_steps_run_in_a_safe_order():
    workflow = text()
    order = ["python -m pytest", "az bicep build", "az deployment group what-if", "az deployment group create",
             "configreferences/appsettings", "uses: Azure/functions-action@v1", '"$1/api/health"']
    positions = [workflow.index(marker) for marker in order]
    assert positions == sorted(positions), "tests, compile, what-if, deploy, key check, code, health"
    assert "needs: [test, bicep, regions]" in workflow


def test_deploys_code_the_flex_consumption_way():
    workflow = text()
    assert "sku: flexconsumption" in workflow
    assert "remote-build: true" in workflow


def test_covers_every_region_with_its_param_file():
    workflow = text()
    assert f"options: [all, {', '.join(REGIONS)}]" in workflow
    assert "list=[" + ",".join(f'"{r}"' for r in REGIONS) + "]" in workflow
    assert 'infra/params/$REGION.bicepparam' in workflow
    for region in REGIONS:
        assert (ROOT / "infra" / "params" / f"{region}.bicepparam").is_file()


def test_packages_what_the_functions_host_loads(tmp_path):
    """The workflow ships what scripts/package.py builds: every file the host loads, each module
    with checked-hash bytecode of the runtime's version, so a cold start compiles nothing."""
    assert "python scripts/package.py build/app" in text()
    assert re.search(r'python-version: "(\d+\.\d+)"', text()).group(1) == ".".join(map(str, package.RUNTIME))
    assert f"version: '{package.RUNTIME[0]}.{package.RUNTIME[1]}'" in (ROOT / "infra" / "modules" / "functionapp.bicep").read_text()
    bundle = package.build(tmp_path / "app")
    assert {"function_app.py", "host.json", "requirements.txt", "functions", "shared"} <= {p.name for p in bundle.iterdir()}
    sources = sorted(bundle.rglob("*.py"))
    assert len(sources) == len(list((ROOT / "shared").rglob("*.py"))) + len(list((ROOT / "functions").glob("*.py"))) + 1
    for source in sources:
        [pyc] = (source.parent / "__pycache__").glob(f"{source.stem}.{sys.implementation.cache_tag}.pyc")
        flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
        assert flags == 0b11, f"{pyc} is not checked-hash bytecode"  # PEP 552: hash-based, check_source
    imported = subprocess.run([sys.executable, "-c", "import function_app, functions.health; print(functions.health.__cached__)"],
                              cwd=bundle, capture_output=True, text=True, check=True)
    assert imported.stdout.strip().startswith(str(bundle))


def test_checkov_is_installed_wherever_the_suite_runs():
    """tests/infra/test_checkov.py needs .venv-checkov: scripts/test (the README's command) and the
    workflow's test job both build it from requirements-checkov.txt."""
    install = ".venv-checkov/bin/pip install"
    assert f"{install} --no-cache-dir -r requirements-checkov.txt" in text()
    assert f"{install} --quiet --disable-pip-version-check -r requirements-checkov.txt" in \
        (ROOT / "scripts" / "test").read_text(encoding="utf-8")
