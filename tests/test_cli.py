"""The ``onewindow`` command on fresh SQLite databases: run in-process (``tests.cli``) for what each
command says and does, and as the installed console script, in a subprocess, end to end (``serve``
and ``workdays``), as a newcomer runs it."""

from __future__ import annotations

import logging
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from engine.services.accounts import authenticate
from engine.services.context import EngineContext
from engine.settings import EngineSettings
from tests import cli
from tests.cli import Ran
from tests.conftest import FIXTURES
from tests.conftest import ROOT
from webapp.logs import configure_logging

#: Outside a demo, commands that change cases need the history key (as servers and workers do).
HISTORY_KEY = "cli-test-history-key-0123456789abcdef"
#: The console script ``pip install`` made (pyproject's ``[project.scripts]``), beside this interpreter.
CONSOLE_SCRIPT = Path(sys.executable).parent / "onewindow"


def onewindow(*args: str, db: Path, **environ: str | None) -> Ran:
    return cli.onewindow(*args, db=db, **{"ONEWINDOW_HISTORY_KEY": HISTORY_KEY, **environ})


def console(*args: str, db: Path, **environ: str) -> subprocess.Popen[str]:
    """The installed ``onewindow`` script in a new process (not ``python -m``: the entry point itself)."""
    env = {**cli.environment_without(), "DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": str(ROOT), **environ}
    return subprocess.Popen([str(CONSOLE_SCRIPT), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env=env)


def test_the_console_script_computes_workdays_end_to_end(tmp_path: Path) -> None:
    process = console("workdays", "add", "2025-09-26", "20", db=tmp_path / "x.db")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert out.strip() == "2025-10-30 星期四"


@pytest.mark.parametrize(("start", "days", "expected"), [
    ("2025-09-26", "20", "2025-10-30 星期四"),
    ("2026-02-12", "7", "2026-02-28 星期六"),  # a 调休 working Saturday
])
def test_workdays_add(tmp_path: Path, start: str, days: str, expected: str) -> None:
    result = onewindow("workdays", "add", start, days, db=tmp_path / "x.db")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


@pytest.fixture
def initialized_db(demo_installation: tuple[Path, Ran], tmp_path: Path) -> Path:
    source, result = demo_installation
    assert result.returncode == 0, result.stderr
    return Path(shutil.copy(source, tmp_path / "ow.db"))


def test_init_deploys_and_lists_matters_and_demo_accounts(demo_installation: tuple[Path, Ran],
                                                          tmp_path: Path) -> None:
    source, first = demo_installation
    assert first.returncode == 0, first.stderr
    db = Path(shutil.copy(source, tmp_path / "ow.db"))
    assert "food_business: v1（新版本）" in first.stdout
    assert "演示账号已创建：demo_window" in first.stdout
    assert "工作日历已初始化" in first.stdout
    again = onewindow("init", "--demo", db=db)
    assert "food_business: v1（未变化）" in again.stdout and "演示账号" not in again.stdout
    plain = onewindow("init", db=db)  # a demo database never gets a production administrator
    assert plain.returncode == 0 and "管理员账号已创建" not in plain.stdout and "演示数据库" in plain.stdout
    listing = onewindow("matters", db=db)
    assert "食品经营许可" in listing.stdout
    deployed = onewindow("deploy", str(FIXTURES / "matters" / "parallel_review"), db=db)
    assert deployed.returncode == 2  # fixture forms are not in forms/: refused with the element named
    assert "a_review" in deployed.stderr


def _users(db: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT username, groups, is_demo FROM users ORDER BY id").fetchall()


def test_production_init_creates_one_administrator_shown_once(tmp_path: Path) -> None:
    db = tmp_path / "ow.db"
    first = onewindow("init", db=db, ONEWINDOW_ADMIN_PASSWORD="")
    assert first.returncode == 0, first.stderr
    assert "管理员账号已创建：admin" in first.stdout and "演示账号" not in first.stdout
    password = re.search(r"初始密码（只显示这一次，请立即妥善保存）：(\S+)", first.stdout).group(1)
    assert len(password) >= 16
    assert _users(db) == [("admin", "admin", 0)]
    second = onewindow("init", db=db)
    assert second.returncode == 0 and "管理员" not in second.stdout and password not in second.stdout
    assert len(_users(db)) == 1
    ctx = EngineContext.create(EngineSettings(database_url=f"sqlite:///{db}"))
    try:
        assert authenticate(ctx, "admin", password) is not None
    finally:
        ctx.dispose()
    demo = onewindow("init", "--demo", db=db)  # public demo passwords never enter a real installation
    assert demo.returncode == 2 and "正式账号" in demo.stderr
    assert len(_users(db)) == 1


def test_production_init_takes_the_admin_password_from_the_environment(tmp_path: Path) -> None:
    db = tmp_path / "ow.db"
    weak = onewindow("init", db=db, ONEWINDOW_ADMIN_PASSWORD="short")
    assert weak.returncode == 2 and "至少 12 位" in weak.stderr
    given = onewindow("init", db=db, ONEWINDOW_ADMIN_PASSWORD="given-by-the-operator-42",
                      ONEWINDOW_ADMIN_USERNAME="root_admin")
    assert given.returncode == 0, given.stderr
    assert "管理员账号已创建：root_admin（密码取自 ONEWINDOW_ADMIN_PASSWORD）" in given.stdout
    assert "given-by-the-operator-42" not in given.stdout
    ctx = EngineContext.create(EngineSettings(database_url=f"sqlite:///{db}"))
    try:
        assert authenticate(ctx, "root_admin", "given-by-the-operator-42") is not None
    finally:
        ctx.dispose()


def test_deploy_refuses_hostile_bpmn_with_a_clear_message(tmp_path: Path) -> None:
    matter = tmp_path / "evil"
    matter.mkdir()
    (matter / "matter.toml").write_text((FIXTURES / "matters" / "timer_review" / "matter.toml").read_text(
        encoding="utf-8").replace('code = "timer_review"', 'code = "evil"'), encoding="utf-8")
    (matter / "evil.bpmn").write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                                      '<x>&e;</x>', encoding="utf-8")
    result = onewindow("deploy", str(matter), db=tmp_path / "ow.db")
    assert result.returncode == 2
    assert "evil/evil.bpmn" in result.stderr and "DOCTYPE" in result.stderr


def test_calendar_add_year_reports_bad_lines(initialized_db: Path, tmp_path: Path) -> None:
    db = initialized_db
    notice = tmp_path / "2027.txt"
    notice.write_text("2027-01-01 休 元旦\n2027-02-30 休 春节\n", encoding="utf-8")
    bad = onewindow("calendar", "add-year", "2027", str(notice), db=db)
    assert bad.returncode == 2 and "第2行" in bad.stderr
    notice.write_text("2027-01-01..2027-01-03 休 元旦\n", encoding="utf-8")
    good = onewindow("calendar", "add-year", "2027", str(notice), db=db)
    assert good.returncode == 0 and "2027 年放假安排已录入" in good.stdout


def test_verify_and_export_commands(initialized_db: Path, tmp_path: Path) -> None:
    db = initialized_db
    clean = onewindow("verify", db=db)
    assert clean.returncode == 0 and "0 个异常" in clean.stdout
    out = tmp_path / "log.csv"
    exported = onewindow("export", "--format", "csv", "-o", str(out), db=db)
    assert exported.returncode == 0 and out.read_text(encoding="utf-8").startswith("case_id,matter,activity")


def test_serve_refuses_to_start_in_production_without_a_secret_key(tmp_path: Path) -> None:
    db = tmp_path / "ow.db"
    assert onewindow("init", db=db).returncode == 0
    result = cli.onewindow("serve", "--port", "1", db=db, ONEWINDOW_SECRET_KEY=None)
    assert result.returncode == 2
    assert "ONEWINDOW_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_servers_workers_and_case_changing_commands_refuse_production_without_a_history_key(
        tmp_path: Path) -> None:
    """Without the key a production server, timer worker, init (it backfills cases) or calendar
    change would save chain heads unsigned."""
    fresh = onewindow("init", "--no-sample", db=tmp_path / "fresh.db", ONEWINDOW_HISTORY_KEY="")
    assert fresh.returncode == 2 and "ONEWINDOW_HISTORY_KEY" in fresh.stderr
    db = tmp_path / "ow.db"
    assert onewindow("init", "--no-sample", db=db).returncode == 0
    for command in (["serve", "--port", "1"], ["worker"], ["calendar", "close", "2025-10-09", "台风停办"], ["init"]):
        result = cli.onewindow(*command, db=db, ONEWINDOW_HISTORY_KEY=None, ONEWINDOW_SECRET_KEY="s" * 40)
        assert result.returncode == 2, command
        assert "ONEWINDOW_HISTORY_KEY" in result.stderr and "Traceback" not in result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_prints_where_to_open_and_the_demo_password(initialized_db: Path) -> None:
    db = initialized_db
    port = _free_port()
    server = console("serve", "--port", str(port), "--workers", "1", db=db,
                     ONEWINDOW_SECRET_KEY="s" * 40, ONEWINDOW_HISTORY_KEY="h" * 40)
    try:
        assert server.stdout is not None
        first, second = server.stdout.readline(), server.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in first and "演示环境" in first
        assert "demo-1234" in second
        body = ""
        for _ in range(100):  # gunicorn binds after the lines are printed
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    body = response.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert '"status":"ok"' in body.replace(" ", "")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/favicon.ico", timeout=5) as response:
            assert response.status == 200 and response.read().startswith(b"\x00\x00\x01\x00")
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_spiff_logging_is_warning_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    spiff = logging.getLogger("spiff")
    previous = spiff.level
    try:
        monkeypatch.delenv("ONEWINDOW_SPIFF_LOG_LEVEL", raising=False)
        configure_logging()
        assert not logging.getLogger("spiff.task").isEnabledFor(logging.INFO)
        assert logging.getLogger("spiff.task").isEnabledFor(logging.WARNING)
        monkeypatch.setenv("ONEWINDOW_SPIFF_LOG_LEVEL", "info")
        configure_logging()
        assert logging.getLogger("spiff.task").isEnabledFor(logging.INFO)
    finally:
        spiff.setLevel(previous)
