"""The deployment workflow keeps its safety properties: keyless OIDC login, tests before anything
touches Azure, what-if before the deployment, the Flex Consumption way of deploying code, and a
health check at the end. (Plain-text checks: the project carries no YAML parser.)"""
from __future__ import annotations

import re

from shared.platform.settings import REGIONS
from tests.infra.model import ROOT

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


def test_packages_what_the_functions_host_loads():
    [copy] = re.findall(r"cp -r (.+) build/app/", text())
    for path in copy.split():
        assert (ROOT / path).exists(), f"the package names {path}, which does not exist"
    assert {"function_app.py", "host.json", "requirements.txt"} <= set(copy.split())


def test_checkov_is_installed_wherever_the_suite_runs():
    """tests/infra/test_checkov.py needs .venv-checkov: scripts/test (the README's command) and the
    workflow's test job both build it from requirements-checkov.txt."""
    install = ".venv-checkov/bin/pip install"
    assert f"{install} --no-cache-dir -r requirements-checkov.txt" in text()
    assert f"{install} --quiet --disable-pip-version-check -r requirements-checkov.txt" in \
        (ROOT / "scripts" / "test").read_text(encoding="utf-8")
