"""Debian's chromium driven by Playwright for Python, launched by executable_path (`playwright
install` cannot download browsers here): the one launch every browser test uses."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

CHROMIUM = shutil.which("chromium")
MISSING = "Debian's chromium is not installed (scripts/test installs it as root)"
_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync")


@contextmanager
def launched(*extra_args: str) -> Iterator:
    """A headless chromium, closed on exit; `extra_args` add to the flags every test uses."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[*_ARGS, *extra_args])
        try:
            yield browser
        finally:
            browser.close()
