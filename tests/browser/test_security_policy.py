"""The pages keep to their own Content-Security-Policy (no inline handlers or scripts), and carry an icon."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.browser

#: Records every CSP violation the page reports, from the first byte on (before any page script runs).
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  `${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber} ${e.sample}`));
"""

PAGES = {
    "demo_window": ["/window", "/work", "/cases", "/"],
    "demo_citizen": ["/matters/food_business", "/my/cases", "/home"],
    "demo_designer": ["/designer/", "/designer/food_business"],
    "demo_auditor": ["/audit", "/audit/verify"],
    "demo_supervisor": ["/board", "/stats"],
}


@pytest.mark.parametrize("username", sorted(PAGES))
def test_main_pages_report_no_policy_violation(person: Callable[[str], Any], username: str) -> None:
    page = person(username)
    page.context.add_init_script(LISTEN)
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    for path in PAGES[username]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        # Interact where a handler would run: the walk-in form's matter select once had onchange="".
        if path == "/window" and page.locator("#walk-matter option").count() > 1:
            page.select_option("#walk-matter", index=1)
        violations = page.evaluate("window.__csp")
        assert violations == [] and messages == [], f"{path}: {violations or messages}"


def test_favicon_is_served(new_page: Callable[[], Any]) -> None:
    page = new_page()
    response = page.goto("/favicon.ico")
    assert response is not None and response.status == 200
    assert response.headers["content-type"] == "image/vnd.microsoft.icon"
    page.goto("/login")
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    assert icon is not None and page.request.get(icon).status == 200
