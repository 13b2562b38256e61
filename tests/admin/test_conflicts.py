"""409 vs 412, as the contract has it: an If-Match that no longer matches and a write that loses a
race both answer 409 `conflict` (DESIGN: "a lost race answers 409 conflict"), and the README's
error table says the same status for the code answered."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.concurrency.racing import no_server_errors, one_winner, race, statuses

README = Path(__file__).resolve().parents[2] / "README.md"


def _documented_status(code: str) -> int:
    match = re.search(rf"^\| `{code}` \| (\d{{3}}) \|", README.read_text(), re.MULTILINE)
    assert match, f"{code} is not in the README's error table"
    return int(match.group(1))


def test_a_stale_if_match_answers_the_documented_409(admin, new_org):
    slug = new_org()
    etag = admin.get(f"/api/organizations/{slug}").json()["etag"]
    assert admin.patch(f"/api/organizations/{slug}", json={"name": "first"}, headers={"If-Match": etag}).status_code == 200
    stale = admin.patch(f"/api/organizations/{slug}", json={"name": "second"}, headers={"If-Match": etag})
    assert (stale.status_code, stale.json()["error"]) == (409, "conflict")
    assert _documented_status("conflict") == stale.status_code
    assert "412" not in {line.split("|")[2].strip() for line in README.read_text().splitlines() if line.startswith("| `")}


def test_twenty_patches_racing_on_one_etag_have_one_winner_and_documented_409s(stack, admin, new_org):
    slug = new_org()
    etag = admin.get(f"/api/organizations/{slug}").json()["etag"]
    responses = race(stack, lambda i, s: s.patch(f"/api/organizations/{slug}", json={"name": f"racer {i}"}, headers={"If-Match": etag}),
                     key=stack.bootstrap_key)
    no_server_errors(responses)
    winner = one_winner(responses, lambda r: r.status_code == 200)
    losers = [r for r in responses if r is not winner]
    assert all((r.status_code, r.json()["error"]) == (409, "conflict") for r in losers), statuses(responses)
    assert _documented_status("conflict") == 409
    assert admin.get(f"/api/organizations/{slug}").json()["name"] == winner.json()["name"]


def test_a_write_that_loses_the_race_after_its_read_is_a_409(stack, new_org):
    """No If-Match at all: the PATCH read the record, another write landed, its conditional save
    must not overwrite it (shared/orgs/organizations.py save)."""
    from shared.orgs import organizations
    from shared.platform.errors import SsoError

    slug = new_org()
    read = organizations.get(slug)
    organizations.save(read.doc.replace(name="landed first"), read.etag)
    with pytest.raises(SsoError) as lost:
        organizations.save(read.doc.replace(name="lost the race"), read.etag)
    assert (lost.value.code, lost.value.status) == ("conflict", 409) == ("conflict", _documented_status("conflict"))
    assert organizations.get(slug).doc.name == "landed first"
