"""axe-core (bundled by axe-playwright-python: no CDN, no download) on a page: no serious or
critical violation."""
from __future__ import annotations

SEVERE = {"serious", "critical"}


def assert_accessible(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    severe = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
              for v in results.response["violations"] if v["impact"] in SEVERE]
    assert not severe, f"{page.url}: {severe}"
    assert results.response["passes"] or results.response["violations"] is not None  # axe did run


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Presses Tab until the element matching `selector` has the focus (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")
