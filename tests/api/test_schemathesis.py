"""schemathesis against the dev host on Azurite and the Entra simulator, from GET /api/openapi.json:
every operation with positive and negative data, stateful sequences along the document's links
(create org -> read/change/delete it -> create connection -> ...), and every response checked
against the document: no 5xx, a documented status, content type, headers and body schema.

Seeded and bounded for the suite (SCHEMATHESIS_EXAMPLES per operation, default 4); a longer
local hunt: SCHEMATHESIS_EXAMPLES=200 SCHEMATHESIS_SEED=7 .venv/bin/python -m pytest tests/api -k schemathesis
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ApiClient
from tests.flows.helpers import create_oidc_connection, create_saml_connection, register_oidc_app

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "4"))
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261201"))
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
          "response_schema_conformance")
ST = Path(sys.executable).with_name("st")


def _make_records(stack, prefix: str) -> dict[str, list[str]]:
    """An org with an OIDC and a SAML connection, a domain claim and an invitation."""
    admin = ApiClient(stack.base_url, stack.bootstrap_key)
    org = f"{prefix}-{secrets.token_hex(4)}"
    created = admin.post("/api/organizations", json={"id": org, "name": "Schemathesis", "redirect_uris": ["https://app.example.com/callback"]})
    assert created.status_code == 201, created.text
    oidc = create_oidc_connection(admin, org, register_oidc_app(stack))["id"]
    saml = create_saml_connection(stack, admin, org)["id"]
    domain = f"{prefix}-{secrets.token_hex(4)}.example.test"
    assert admin.post(f"/api/organizations/{org}/domains", json={"domain": domain}).status_code == 201
    invitation = admin.post(f"/api/organizations/{org}/invitations", json={"email": f"ada@{domain}"}).json()["id"]
    return {"org": [org], "connection": [oidc, saml], "domain": [domain], "invitation": [invitation]}


@pytest.fixture(scope="module")
def records(stack, empty_dns) -> dict[str, dict[str, list[str]]]:
    """Real records for path parameters, so requests get past the 404s: one set for every
    operation, and one for the DELETEs (which would otherwise delete the first set early on)."""
    return {"live": _make_records(stack, "st"), "doomed": _make_records(stack, "st-del")}


def _bindings(kind: str, names) -> list[str]:
    # most requests aim at the real records; some keep generated values (404s, hostile segments)
    return [f'"path.{name}" = {{ dictionary = "{kind}_{name}", probability = 0.8 }}' for name in names]


def _config(records: dict[str, dict[str, list[str]]]) -> str:
    """schemathesis.toml: real values for path parameters (the stateful phase makes its own)."""
    lines = [f"seed = {SEED}", "", "[generation]", f"max-examples = {EXAMPLES}", 'database = "none"', "",
             # TRACE and QUERY are left out: the dev host (http.server) answers them 501 itself, before any function
             "[phases.coverage]", 'unexpected-methods = ["GET", "PUT", "POST", "DELETE", "OPTIONS", "PATCH"]', "", "[dictionaries]"]
    lines += [f"{kind}_{name} = {{ values = {json.dumps(values)} }}" for kind, named in records.items() for name, values in named.items()]
    lines += ["", "[parameters]", *_bindings("live", records["live"]), ""]
    lines += ["[[operations]]", 'include-method = "DELETE"', "[operations.parameters]", *_bindings("doomed", records["doomed"])]
    return "\n".join(lines) + "\n"


@pytest.fixture
def leaves_no_orgs(stack):
    """The organizations the run creates are deleted after it (through the API), so the timers
    other tests of this session run (expiry checks, purge) do not walk hundreds of fuzzed orgs."""
    from shared.orgs import organizations

    before = {org.id for org in organizations.pages()}
    yield
    admin = ApiClient(stack.base_url, stack.bootstrap_key)
    for org in [org.id for org in organizations.pages() if org.id not in before]:
        assert admin.delete(f"/api/organizations/{org}").status_code in (204, 404)


def test_every_operation_conforms_to_the_document(stack, records, leaves_no_orgs, tmp_path):
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(records))
    command = [str(ST), "--config-file", str(config), "--no-color", "run", f"{stack.base_url}/api/openapi.json",
               "--url", stack.base_url, "--checks", ",".join(CHECKS), "--mode", "all",
               "--phases", "examples,coverage,fuzzing,stateful", "--header", f"Authorization: Bearer {stack.bootstrap_key}",
               "--workers", "2", "--request-timeout", "60", "--max-redirects", "0", "--suppress-health-check", "all",
               "--report", "ndjson", "--report-dir", str(tmp_path / "report")]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path,  # its crash cache stays out of the repo
                         env={**os.environ, "NO_PROXY": "*"})
    (tmp_path / "output.txt").write_text(run.stdout + run.stderr)
    if run.returncode != 0:
        print(run.stdout + run.stderr)  # all of it, for the developer (pytest shows it with the failure)
    assert run.returncode == 0, f"schemathesis found non-conformances; its whole report: {tmp_path / 'output.txt'}"
    # the run reached the real records: its refused requests are in the org's audit trail
    events = ApiClient(stack.base_url, stack.bootstrap_key).get(f"/api/organizations/{records['live']['org'][0]}/events?limit=100")
    assert "request.refused" in {event["type"] for event in events.json()["items"]}
