"""What a cold start imports: `import function_app` registers every route without loading the
heavy libraries the requests load where they use them (bench/cold_import.py measures the cost;
this keeps each one off, so a module-level import added back fails here, not in a benchmark)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Each loads on first use, at the boundary named (a comment says so where it is imported).
OFF_THE_COLD_START = (
    "azure.core",  # shared/storage/tables.py sdk_errors: the SDK's rare operations
    "azure.data.tables",  # tables._service: table management and cursor pages
    "azure.identity",  # the managed identity, for storage and Key Vault
    "azure.keyvault",  # shared/secret_store: only the store in use
    "msal",  # shared/oidc/entra_client._build: the first MSAL app (an instance's warm-up)
    "jwt",  # shared/oidc/jwks.py, id_token.py, msal_app.py: the first key set or signature
    "cryptography",  # certificates made or read; PyJWT and MSAL
    "onelogin",  # shared/saml: the first SAML request
    "xmlsec",
    "lxml",
    "scim2_models",  # functions/scim.py: the first SCIM request
    "jinja2",  # shared/portal/pages.py: the first portal page
    "dns",  # shared/policy/dns_verification.py: a domain verification
)

PROBE = ("import json, sys; import function_app; "
         "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules} | {'.'.join(name.split('.')[:2]) for name in sys.modules})))")


def _loaded_by_import_function_app() -> set[str]:
    """Top-level and two-part module names in sys.modules after `import function_app`, in a fresh interpreter."""
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-4000:]
    return set(json.loads(result.stdout))


def test_import_function_app_leaves_the_heavy_libraries_for_first_use():
    loaded = _loaded_by_import_function_app()
    assert "function_app" in loaded and "azure.functions" in loaded  # the probe did import the app
    assert sorted(loaded & set(OFF_THE_COLD_START)) == []
