"""Production by default, /healthz, stable error codes, and crashes that answer JSON with an incident id."""

from __future__ import annotations

import functools
import logging
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask

from engine.errors import ConcurrentUpdate
from engine.persistence.migrate import downgrade_database
from engine.services import accounts
from engine.services.bootstrap import add_demo_accounts
from engine.services.bootstrap import ensure_administrator
from engine.services.context import EngineContext
from engine.settings import EngineSettings
from engine.settings import PasswordHashing
from tests.conftest import TEST_HISTORY_KEY
from tests.databases import migrated_database
from tests.webapp.test_api import API
from tests.webapp.test_api import ApiClient
from tests.webapp.test_journey import APPLICATION
from webapp import create_app
from webapp import keys
from webapp.app import StartupRefused
from webapp.errors import ERROR_CODES

GOOD_SECRET = "k" * 40
_real_hash = accounts.hash_password


@functools.lru_cache(maxsize=4)
def _hash_once(hashing: PasswordHashing, password: str) -> str:
    return _real_hash(SimpleNamespace(settings=SimpleNamespace(password_hashing=hashing)), password)  # type: ignore[arg-type]


def _cached_hash(ctx: EngineContext, password: str) -> str:
    """``hash_password`` with its (settings, password) result kept: the demo accounts share one password."""
    return _hash_once(ctx.settings.password_hashing, password)


def quick_demo_accounts(ctx: EngineContext) -> None:
    """The demo accounts, their one shared password hashed once (real argon2 for every sign-in)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "hash_password", _cached_hash)
        add_demo_accounts(ctx)


@pytest.fixture
def sqlite_url(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    with migrated_database("sqlite", tmp_path, request) as url:
        yield url


@pytest.fixture
def no_env_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONEWINDOW_SECRET_KEY", raising=False)
    monkeypatch.delenv("ONEWINDOW_SECURE_COOKIES", raising=False)
    monkeypatch.delenv("ONEWINDOW_HISTORY_KEY", raising=False)


def _app(url: str, tmp_path: Path, history_key: str = TEST_HISTORY_KEY, **config: object) -> Flask:
    settings = EngineSettings(database_url=url, uploads_dir=tmp_path / "uploads", history_key=history_key)
    return create_app({"TESTING": True, "ENGINE_SETTINGS": settings, **config}, instance_path=tmp_path / "instance")


def _dispose(app: Flask) -> None:
    app.extensions["onewindow"].dispose()


# -- production by default ------------------------------------------------------------------------


@pytest.mark.usefixtures("no_env_secret")
def test_production_refuses_to_start_without_a_real_secret_key(sqlite_url: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(StartupRefused, match="ONEWINDOW_SECRET_KEY"):
        _app(sqlite_url, tmp_path)
    monkeypatch.setenv("ONEWINDOW_SECRET_KEY", "short")
    with pytest.raises(StartupRefused, match="至少需要 32"):
        _app(sqlite_url, tmp_path)
    assert not (tmp_path / "instance" / "secret_key").exists()  # production never invents a secret
    monkeypatch.setenv("ONEWINDOW_SECRET_KEY", GOOD_SECRET)
    app = _app(sqlite_url, tmp_path)
    assert app.config["SECRET_KEY"] == GOOD_SECRET and app.config["ONEWINDOW_DEMO"] is False
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert "演示环境" not in app.test_client().get("/").get_data(as_text=True)
    _dispose(app)


@pytest.mark.usefixtures("no_env_secret")
def test_production_refuses_to_start_without_a_history_key(sqlite_url: str, tmp_path: Path) -> None:
    """Without the key a server would write unsigned chain heads: a rewritten history would verify."""
    with pytest.raises(StartupRefused, match="ONEWINDOW_HISTORY_KEY") as refused:
        _app(sqlite_url, tmp_path, history_key="", SECRET_KEY=GOOD_SECRET)
    assert "verify --sign-unsigned" in str(refused.value) and "make run" in str(refused.value)
    assert not (tmp_path / "instance" / "history_key").exists()  # production never invents a key
    with pytest.raises(StartupRefused, match="太短"):
        _app(sqlite_url, tmp_path, history_key="short", SECRET_KEY=GOOD_SECRET)


@pytest.mark.usefixtures("no_env_secret")
def test_demo_generates_its_history_key_once_for_every_process(sqlite_url: str, tmp_path: Path) -> None:
    ctx = EngineContext.create(EngineSettings(database_url=sqlite_url, history_key=""))
    quick_demo_accounts(ctx)
    ctx.dispose()
    app = _app(sqlite_url, tmp_path, history_key="")
    stored = tmp_path / "instance" / "history_key"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    key = stored.read_text(encoding="utf-8").strip()
    assert len(key) == 64 and app.extensions["onewindow"].settings.history_key == key
    again = _app(sqlite_url, tmp_path, history_key="")
    assert again.extensions["onewindow"].settings.history_key == key  # one key for every process
    assert again.extensions["onewindow"].uow().history_key == key  # its saves sign chain heads
    assert sorted(p.name for p in stored.parent.iterdir()) == ["history_key", "secret_key"]  # no drafts left
    _dispose(app)
    _dispose(again)


@pytest.mark.usefixtures("no_env_secret")
def test_demo_installation_says_so_and_keeps_its_generated_secret(sqlite_url: str, tmp_path: Path) -> None:
    ctx = EngineContext.create(EngineSettings(database_url=sqlite_url))
    quick_demo_accounts(ctx)
    ctx.dispose()
    app = _app(sqlite_url, tmp_path)
    assert app.config["ONEWINDOW_DEMO"] is True and app.config["SESSION_COOKIE_SECURE"] is False
    secret = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert app.config["SECRET_KEY"] == secret.read_text(encoding="utf-8").strip()
    page = app.test_client().get("/").get_data(as_text=True)
    assert "演示环境" in page and accounts.DEMO_PASSWORD in page
    again = _app(sqlite_url, tmp_path)
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]  # sessions survive a restart
    _dispose(app)
    _dispose(again)


def test_commands_use_a_demos_generated_history_key_and_production_never_does(sqlite_url: str,
                                                                             tmp_path: Path) -> None:
    """``onewindow verify`` must check with the key the demo app signed with; a production CLI
    must not pick up a stray demo key (its key comes from the environment, like the servers')."""
    instance = tmp_path / "instance"
    key = keys.demo_key(instance, keys.HISTORY_KEY_FILE)
    production = EngineContext.create(EngineSettings(database_url=sqlite_url, history_key=""))
    assert keys.command_context(production, instance) is production
    assert production.settings.history_key == ""
    quick_demo_accounts(production)  # now it is a demo
    demo = keys.command_context(production, instance)
    assert demo.settings.history_key == key and demo.uow().history_key == key
    demo.dispose()


def _sign_in_cookie(app: Flask, username: str, password: str) -> str:
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        token = session["csrf"]
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


@pytest.mark.usefixtures("no_env_secret")
def test_session_cookie_is_secure_httponly_lax_in_production(sqlite_url: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEWINDOW_SECRET_KEY", GOOD_SECRET)
    ctx = EngineContext.create(EngineSettings(database_url=sqlite_url))
    admin = ensure_administrator(ctx, "correct horse battery")
    ctx.dispose()
    assert admin is not None
    app = _app(sqlite_url, tmp_path)
    cookie = _sign_in_cookie(app, "admin", "correct horse battery")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    _dispose(app)
    monkeypatch.setenv("ONEWINDOW_SECURE_COOKIES", "0")  # e.g. a test bench on plain http
    app = _app(sqlite_url, tmp_path)
    cookie = _sign_in_cookie(app, "admin", "correct horse battery")
    assert "Secure" not in cookie and "HttpOnly" in cookie
    _dispose(app)


# -- /healthz -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_healthz_reports_database_and_migration_head(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    with migrated_database(kind, tmp_path, request) as url:
        app = _app(url, tmp_path, SECRET_KEY=GOOD_SECRET)
        healthy = app.test_client().get("/healthz")  # no sign-in: a load balancer has none
        body = healthy.get_json()
        assert healthy.status_code == 200 and body["status"] == "ok"
        assert body["database"] == {"reachable": True, "dialect": kind}
        migrations = body["migrations"]
        assert migrations["current"] == migrations["expected"]
        assert re.fullmatch(r"\d{4}", migrations["current"])
        assert healthy.headers["Cache-Control"] == "no-store"
        downgrade_database(url, "-1")  # an app server newer than its database: not ready for traffic
        behind = app.test_client().get("/healthz")
        body = behind.get_json()
        assert behind.status_code == 503 and body["status"] == "unhealthy"
        assert body["migrations"]["up_to_date"] is False and body["migrations"]["current"] != migrations["expected"]
        assert "onewindow init" in body["problem"]
        _dispose(app)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_healthz_is_503_when_the_database_is_unreachable(kind: str, tmp_path: Path,
                                                         request: pytest.FixtureRequest) -> None:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path}"  # a directory: SQLite cannot open it
    else:
        server = request.getfixturevalue("pg_server_url")
        url = server.rpartition("/")[0] + "/onewindow_no_such_database"
    app = _app(url, tmp_path, SECRET_KEY=GOOD_SECRET)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"]["reachable"] is False
    assert response.get_json()["problem"] == "数据库无法连接"
    _dispose(app)


# -- error codes ----------------------------------------------------------------------------------


def test_error_code_table_tells_retry_from_done() -> None:
    assert ERROR_CODES["conflict_retry"].status == ERROR_CODES["task_already_done"].status == 409
    assert ERROR_CODES["conflict_retry"].retry is True and ERROR_CODES["task_already_done"].retry is False
    assert all(re.fullmatch(r"[a-z_]+", code) and entry.description for code, entry in ERROR_CODES.items())


def test_completing_a_done_task_is_task_already_done_and_a_lost_race_is_conflict_retry(
        web_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    citizen = ApiClient(web_app, "demo_citizen")
    case = citizen.post("/matters/food_business/cases").get_json()
    apply = next(t for t in case["open_tasks"] if t["element_id"] == "apply")
    complete = f"/cases/{case['id']}/tasks/{apply['task_uuid']}/complete"
    assert citizen.post(complete, {"data": APPLICATION}).status_code == 200
    again = citizen.post(complete, {"data": APPLICATION})
    assert again.status_code == 409
    assert again.get_json()["code"] == "task_already_done" and "已办结" in again.get_json()["message"]

    from engine.services import tasks

    def lost_race(*args: object, **kwargs: object) -> None:
        raise ConcurrentUpdate()

    monkeypatch.setattr(tasks, "complete_task", lost_race)
    clerk = ApiClient(web_app, "demo_window")
    reception = clerk.get(f"/cases/{case['id']}").get_json()["open_tasks"][0]
    raced = clerk.post(f"/cases/{case['id']}/tasks/{reception['task_uuid']}/complete", {"data": {}})
    assert raced.status_code == 409 and raced.get_json()["code"] == "conflict_retry"


def test_api_errors_are_json_with_a_code(web_app: Flask) -> None:
    citizen = ApiClient(web_app, "demo_citizen")
    missing = citizen.get("/no/such/route")
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"
    wrong_method = citizen.client.delete(f"{API}/matters", headers={"Authorization": f"Bearer {citizen.token}"})
    assert wrong_method.status_code == 405 and wrong_method.get_json()["code"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["Allow"]
    anonymous = web_app.test_client().get(f"{API}/cases")
    assert anonymous.get_json()["code"] == "unauthorized"
    forbidden_case = citizen.get("/cases/999999")
    assert forbidden_case.status_code == 404 and forbidden_case.get_json()["code"] == "not_found"


def test_a_crash_answers_json_under_api_and_a_page_elsewhere_with_a_logged_incident_id(
        web_app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from webapp.views import api
    from webapp.views import matters

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals /etc/onewindow")

    monkeypatch.setattr(api, "list_matters", broken)
    monkeypatch.setattr(matters, "search_matters", broken)  # the public list (every offered matter)
    citizen = ApiClient(web_app, "demo_citizen")
    with caplog.at_level(logging.ERROR, logger="onewindow.errors"):
        crashed = citizen.get("/matters")
        page = web_app.test_client().get("/")
    assert crashed.status_code == 500 and crashed.is_json
    body = crashed.get_json()
    assert body["code"] == "internal" and re.fullmatch(r"[0-9a-f]{12}", body["incident"])
    assert body["incident"] in body["message"]
    text = crashed.get_data(as_text=True)
    assert "secret internals" not in text and "Traceback" not in text
    html = page.get_data(as_text=True)
    assert page.status_code == 500 and "secret internals" not in html
    incidents = re.findall(r"事件编号 ([0-9a-f]{12})", html)
    assert len(incidents) == 1
    logged = {record.getMessage().split()[1].rstrip(":"): record for record in caplog.records}
    assert {body["incident"], incidents[0]} <= logged.keys()
    assert logged[body["incident"]].exc_info is not None  # the trace is in the log, not the answer
