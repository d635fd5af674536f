"""A real app on a migrated SQLite database with every shipped matter, the demo accounts and calendar."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.actors import Actor
from engine.clock import FixedClock
from engine.persistence.migrate import upgrade_database
from engine.services.accounts import DEMO_PASSWORD
from engine.services.accounts import actor_for
from engine.services.accounts import create_api_token
from engine.services.accounts import ensure_demo_accounts
from engine.services.calendar import seed_calendar
from engine.services.deploy import deploy_path
from engine.settings import EngineSettings
from tests.conftest import FAST_PASSWORD_HASHING
from tests.conftest import TEST_ENDPOINTS
from tests.conftest import TEST_HISTORY_KEY
from webapp import create_app

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def web_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{tmp / 'web.sqlite3'}"
    upgrade_database(url)
    settings = EngineSettings(database_url=url, uploads_dir=tmp / "uploads", password_hashing=FAST_PASSWORD_HASHING,
                              service_endpoints=TEST_ENDPOINTS,
                              history_key=TEST_HISTORY_KEY)
    from datetime import datetime
    clock = FixedClock(datetime(2025, 9, 26, 2, 0, tzinfo=UTC))
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "ENGINE_SETTINGS": settings}, clock=clock)
    ctx = app.extensions["onewindow"]
    deploy_path(ctx, settings.processes_dir, Actor("designer", groups=frozenset({"designer"})))
    ensure_demo_accounts(ctx)
    seed_calendar(ctx, Actor("admin", groups=frozenset({"admin"})))
    yield app
    ctx.dispose()


class User:
    """A browser-like session for one person: signs in, keeps the CSRF token, follows the UI's links."""

    def __init__(self, app: Flask, username: str, password: str = DEMO_PASSWORD) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.username = username
        self._token = ""
        self.client.get("/login")
        response = self.client.post("/login", data={"username": username, "password": password,
                                                    "csrf_token": self.csrf})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]

    @property
    def csrf(self) -> str:
        with self.client.session_transaction() as session:
            return session.get("csrf", "")

    def get(self, path: str, **kw: Any):  # type: ignore[no-untyped-def]
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any):  # type: ignore[no-untyped-def]
        return self.client.post(path, data={**(data or {}), "csrf_token": self.csrf}, **kw)

    def api(self, method: str, path: str, body: Any = None):  # type: ignore[no-untyped-def]
        """Call the REST API as this person with a bearer token of theirs (none when not signed in)."""
        headers = {}
        if self.username:
            if not self._token:
                ctx = self.app.extensions["onewindow"]
                self._token = create_api_token(ctx, actor_for(ctx, self.username), f"test {self.username}")
            headers["Authorization"] = f"Bearer {self._token}"
        return self.client.open(path, method=method, headers=headers, json=body)

    def task_link(self, page: str, element_id: str, case_number: str | None = None) -> str:
        """The 办理 link of a task row on a worklist page (data-task/data-case attributes)."""
        html = self.get(page).get_data(as_text=True)
        for row in re.findall(r"<tr data-task=\"([^\"]+)\" data-case=\"([^\"]+)\"[^>]*>(.*?)</tr>", html, re.S):
            if row[0] == element_id and (case_number is None or row[1] == case_number):
                return re.search(r'href="(/cases/\d+/tasks/[^"]+)"', row[2]).group(1)
        raise AssertionError(f"no task {element_id} on {page}")

    def submit(self, link: str, values: dict[str, Any], **kw: Any):  # type: ignore[no-untyped-def]
        return self.post(link, {**values, "action": "submit"}, **kw)


@pytest.fixture
def login(web_app: Flask):  # type: ignore[no-untyped-def]
    return lambda username, password=DEMO_PASSWORD: User(web_app, username, password)


@pytest.fixture
def uploads_dir(web_app: Flask) -> Path:
    return web_app.extensions["onewindow"].settings.uploads_dir
