"""Rule: a calendar change made by another process (the CLI) is used by a running app from its next request."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

from engine.actors import Actor
from engine.clock import FixedClock
from engine.persistence.migrate import upgrade_database
from engine.services.calendar import add_closure
from engine.services.calendar import seed_calendar
from engine.services.context import EngineContext
from engine.settings import EngineSettings
from tests.conftest import FAST_PASSWORD_HASHING
from tests.conftest import TEST_HISTORY_KEY
from webapp import create_app

ADMIN = Actor("admin", groups=frozenset({"admin"}))


def test_the_app_uses_a_closure_the_cli_made_at_its_next_request(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    upgrade_database(url)
    settings = EngineSettings(database_url=url, uploads_dir=tmp_path / "uploads",
                              password_hashing=FAST_PASSWORD_HASHING, history_key=TEST_HISTORY_KEY)
    clock = FixedClock(datetime(2025, 9, 26, 2, 0, tzinfo=UTC))
    cli = EngineContext.create(settings, clock)
    seed_calendar(cli, ADMIN)
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "ENGINE_SETTINGS": settings}, clock=clock)
    web = app.extensions["onewindow"]
    try:
        assert web.calendar.is_workday(date(2025, 10, 9))
        add_closure(cli, date(2025, 10, 9), "台风停办", ADMIN)
        assert app.test_client().get("/healthz").status_code == 200
        assert not web.calendar.is_workday(date(2025, 10, 9))
        assert web.calendar.day_name(date(2025, 10, 9)) == "台风停办"
    finally:
        web.dispose()
        cli.dispose()
