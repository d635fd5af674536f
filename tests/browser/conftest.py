"""Real-browser tests: the app served over HTTP on 127.0.0.1, driven by Debian's Chromium through Playwright.

The app runs in a background thread (werkzeug's threaded server) on a fresh migrated SQLite database in a
temporary directory, with every shipped matter deployed, the demo accounts and the working-day calendar, and
the same injected clock as tests/webapp (Friday 2025-09-26 10:00 China time), so dates on pages are fixed.

Chromium is Debian's ``/usr/bin/chromium`` (``ONEWINDOW_CHROMIUM`` overrides it); Playwright never downloads
a browser here. Without Chromium or the ``playwright`` package the tests are skipped, except under
``CI=true``, where they fail: CI must not go green without having driven a real browser.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

from engine.actors import Actor
from engine.clock import FixedClock
from engine.persistence.migrate import upgrade_database
from engine.services.accounts import DEMO_PASSWORD
from engine.services.accounts import ensure_demo_accounts
from engine.services.calendar import seed_calendar
from engine.services.context import EngineContext
from engine.services.deploy import deploy_path
from engine.settings import EngineSettings
from tests.browser.screens import WIDTHS
from tests.conftest import FAST_PASSWORD_HASHING
from tests.conftest import TEST_HISTORY_KEY
from webapp import create_app

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("ONEWINDOW_CHROMIUM", "/usr/bin/chromium")
# No GPU, no sandbox (root in a container), and nothing that phones home: the machine has no internet.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TIMEOUT_MS = 15_000  # one page action; a healthy run needs well under a second


def _unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(message + " (CI=true: the browser tests are required)", pytrace=False)
    pytest.skip(message)


# -- the app -----------------------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # no access log in the test output
        pass


@dataclass
class LiveServer:
    url: str
    ctx: EngineContext
    clock: FixedClock
    uploads_dir: Path


@pytest.fixture(scope="package")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{tmp / 'browser.sqlite3'}"
    upgrade_database(url)
    settings = EngineSettings(database_url=url, uploads_dir=tmp / "uploads", password_hashing=FAST_PASSWORD_HASHING,
                              history_key=TEST_HISTORY_KEY)
    clock = FixedClock(datetime(2025, 9, 26, 2, 0, tzinfo=UTC))
    app = create_app({"SECRET_KEY": "browser-test-secret", "ENGINE_SETTINGS": settings}, clock=clock)
    ctx = app.extensions["onewindow"]
    deploy_path(ctx, settings.processes_dir, Actor("designer", groups=frozenset({"designer"})))
    ensure_demo_accounts(ctx)
    seed_calendar(ctx, Actor("admin", groups=frozenset({"admin"})))
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="onewindow-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", ctx, clock, settings.uploads_dir)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        ctx.dispose()


# -- the browser -------------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for tests/browser (each person gets a fresh context: own cookies, own session).

    Package-scoped, like the server: Playwright's event loop and the server thread end with the last browser
    test instead of living on beside the rest of the suite."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"the playwright package is not installed: {exc}")
    chromium = shutil.which(CHROMIUM) if not os.path.isabs(CHROMIUM) else CHROMIUM
    if not chromium or not os.access(chromium, os.X_OK):
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        playwright = sync_playwright().start()
    except Exception as exc:  # noqa: BLE001 - the package's driver did not run
        _unavailable(f"Playwright did not start: {type(exc).__name__}: {exc}")
    try:
        try:
            launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, timeout=60_000)
        except Exception as exc:  # noqa: BLE001 - any launch failure means "no usable browser here"
            _unavailable(f"Chromium at {chromium} did not start: {type(exc).__name__}: {exc}")
        yield launched
        launched.close()
    finally:
        playwright.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_page(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest,
             tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """Factory: a page in its own browser context. On a failed test every page is saved as a screenshot at a
    desktop and a phone width (``screens.WIDTHS``), so a layout failure shows on both."""
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                for width in WIDTHS:
                    shot = tmp_path / f"page-{i}-{j}-{width}.png"
                    try:
                        page.set_viewport_size({"width": width, "height": 900})
                        page.screenshot(path=str(shot), full_page=True)
                        print(f"screenshot of {page.url} at {width} px: {shot}")  # noqa: T201 - shown with the failure
                    except Exception:  # noqa: BLE001, S110 - best effort only
                        pass
    for context in contexts:
        context.close()


@pytest.fixture
def person(new_page: Callable[[], Any]) -> Callable[[str], Any]:
    """Factory: a signed-in page for a demo account, in a browser context of its own."""

    def make(username: str, password: str = DEMO_PASSWORD) -> Any:
        page = new_page()
        login(page, username, password)
        return page

    return make


# -- helpers used by the tests ----------------------------------------------------------------------------


def login(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form and check the header names the user."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form.narrow button[type=submit]")
    who = page.locator(f'header .who[data-user="{username}"]')
    assert who.count() == 1, f"{username} is not signed in; page says: {page.inner_text('main')[:300]}"


def submit(page: Any, button: str = 'button[name="action"][value="submit"]') -> Any:
    """Press a submit button and wait for the next page; return the response of the final document."""
    with page.expect_navigation() as nav:
        page.click(button)
    return nav.value


def open_task(page: Any, queue_path: str, element_id: str, case_number: str, *, claim: bool = False) -> str:
    """On a worklist page, open the row of ``element_id`` for ``case_number`` (签收 first if ``claim``).

    Returns the task page's path.
    """
    page.goto(queue_path)
    row = page.locator(f'tr[data-task="{element_id}"][data-case="{case_number}"]')
    assert row.count() == 1, f"no task {element_id} of {case_number} on {queue_path}: {page.inner_text('main')[:500]}"
    with page.expect_navigation():
        if claim:
            row.get_by_role("button", name="签收").click()
        else:
            row.get_by_role("link", name="办理").click()
    assert re.search(r"/cases/\d+/tasks/[^/]+$", page.url), page.url
    return page.url.removeprefix(page.url.split("/cases/")[0])


def pdf_file(name: str = "材料.pdf", content: bytes = PDF) -> dict[str, Any]:
    """A small generated PDF for ``set_input_files``."""
    return {"name": name, "mimeType": "application/pdf", "buffer": content}


def fill_form(page: Any, values: dict[str, Any], scope: str = "section.task-form form") -> None:
    """Fill a task form by field key, whatever the control: text, textarea, number, date, select, radios,
    checkbox lists (a list of values), a single checkbox (True/False) and file inputs (a file dict from
    ``pdf_file`` or a list of them)."""
    form = page.locator(scope)
    for key, value in values.items():
        controls = form.locator(f'[name="{key}"]')
        assert controls.count() > 0, f"the form has no field {key!r}"
        first = controls.first
        tag, kind = first.evaluate("e => [e.tagName.toLowerCase(), (e.getAttribute('type') || '').toLowerCase()]")
        if kind == "file":
            first.set_input_files(value if isinstance(value, list) else [value])
        elif kind == "radio":
            form.locator(f'input[name="{key}"][value="{value}"]').check()
        elif kind == "checkbox" and isinstance(value, bool):
            first.set_checked(value)
        elif kind == "checkbox":
            wanted = {str(v) for v in value}
            for box in controls.all():
                box.set_checked(box.get_attribute("value") in wanted)
        elif tag == "select":
            first.select_option(str(value))
        else:
            first.fill(str(value))


def case_number(page: Any) -> str:
    """The 办件编号 shown in the case panel."""
    number = page.locator(".case-panel .case-number").first.inner_text().strip()
    assert re.fullmatch(r"\d{8}[0-9A-Z]{23}\d{12}", number), number
    return number


def status_text(page: Any) -> str:
    """The 办理状态 shown in the case panel."""
    return page.locator(".case-panel .blzt").first.inner_text().strip()


def document_titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator(".case-panel ul.documents li a").all_inner_texts()]
