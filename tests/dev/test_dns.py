"""scripts/dev's loopback DNS: the demo org starts with contoso.com verified, and a newcomer
claims and verifies a domain of their own by publishing its TXT record with `local.dns`."""
from __future__ import annotations

import secrets
import subprocess
import sys

from local.azurite import ROOT


def _publish(dev, name: str, value: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "local.dns", "--state-dir", str(dev.state_dir), "publish", name, value],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_the_demo_org_starts_with_contoso_verified(dev, admin_api):
    info = dev.info
    org = admin_api.get(f"{info['base_url']}/api/organizations/demo").json()
    assert "contoso.com" in org["verified_domains"]
    claim = admin_api.get(f"{info['base_url']}/api/organizations/demo/domains/contoso.com").json()
    assert claim["status"] == "verified"


def test_a_domain_is_verified_through_the_published_txt_record(dev, admin_api):
    base = dev.info["base_url"] + "/api/organizations/demo/domains"
    domain = f"newcomer-{secrets.token_hex(4)}.example"
    claimed = admin_api.post(base, json={"domain": domain})
    assert claimed.status_code == 201, claimed.text
    record = claimed.json()["txt_record"]

    unpublished = admin_api.post(f"{base}/{domain}/verify")  # the DNS answers, and has no such record yet
    assert unpublished.status_code == 400 and unpublished.json()["error"] == "domain_not_verified", unpublished.text

    published = _publish(dev, record["name"], record["value"])
    assert published.returncode == 0, published.stderr
    verified = admin_api.post(f"{base}/{domain}/verify")
    assert verified.status_code == 200 and verified.json()["status"] == "verified", verified.text

    listed = subprocess.run([sys.executable, "-m", "local.dns", "--state-dir", str(dev.state_dir), "list"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert f"{record['name']} {record['value']}" in listed.stdout


def test_publish_without_a_running_scripts_dev_says_so(tmp_path):
    result = subprocess.run([sys.executable, "-m", "local.dns", "--state-dir", str(tmp_path / "none"), "publish", "a.example", "v"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "is scripts/dev running" in result.stderr
