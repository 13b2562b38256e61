"""A headless Chromium (Debian's, by executable_path) for the portal's browser tests, and the
screenshots each step leaves under test-artifacts/portal/ (git-ignored)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.chromium import CHROMIUM, MISSING, launched

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "portal"


@pytest.fixture(scope="module")
def chromium():
    if CHROMIUM is None:
        pytest.skip(MISSING)
    with launched() as browser:
        yield browser


@pytest.fixture
def page(chromium, request):
    """A fresh browser profile per test (its own cookies)."""
    context = chromium.new_context(ignore_https_errors=True)  # the simulator's CA is made at start-up
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture
def shot(request):
    """shot(page, "step name"): a full-page screenshot, kept as a test artifact."""
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    count = iter(range(1, 100))

    def take(page, name: str) -> None:
        page.screenshot(path=str(folder / f"{next(count):02d}-{re.sub(r'[^A-Za-z0-9_-]+', '-', name)}.png"), full_page=True)

    return take
