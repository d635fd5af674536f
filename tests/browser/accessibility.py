"""axe-core (vendored in tests/browser/vendor/axe-core) run on a page: serious and critical violations fail.

Minor and moderate findings are reported but do not fail, so the check is about what blocks people
(missing labels, unreadable contrast, keyboard traps), not style.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Every violation axe finds on the page as it is now (WCAG 2.1 A/AA rules and best practices)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not as a <script> element: the pages' CSP (script-src
        # 'self') stays on and is not what is being tested here.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    return page.evaluate("""async () => {
        const result = await window.axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")


def assert_accessible(page: Any, name: str) -> None:
    """No serious or critical axe violation on ``page`` (``name`` says which page in the failure)."""
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, f"{name}: " + "; ".join(f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
                                              for v in blocking)
