"""Screenshots of the main pages at a desktop and a phone width, for people to look at (not to compare).

Written to ``screenshots/`` at the repository root (git-ignored; ``ONEWINDOW_SCREENSHOTS`` overrides it),
one PNG per page and width: ``<name>-1366.png`` and ``<name>-390.png``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("ONEWINDOW_SCREENSHOTS", ROOT / "screenshots"))
WIDTHS = (1366, 390)


def shoot(page: Any, name: str) -> list[Path]:
    """Save full-page screenshots of ``page`` at each width, then restore its viewport.

    At 390 px the page must not scroll sideways: a phone user would have to pan to read it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    saved = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        path = SCREENSHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
        if width < 600:
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{name} scrolls sideways by {overflow}px at {width}px"
    page.set_viewport_size(before)
    return saved
