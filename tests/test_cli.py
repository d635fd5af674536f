"""The ``onewindow`` command, run as a newcomer would (subprocess, fresh SQLite database)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.conftest import ROOT


def onewindow(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "webapp.cli", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)


@pytest.mark.parametrize(("start", "days", "expected"), [
    ("2025-09-26", "20", "2025-10-30 星期四"),
    ("2026-02-12", "7", "2026-02-28 星期六"),  # a 调休 working Saturday
])
def test_workdays_add(tmp_path: Path, start: str, days: str, expected: str) -> None:
    result = onewindow("workdays", "add", start, days, db=tmp_path / "x.db")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


@pytest.fixture(scope="module")
def initialized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One ``onewindow init`` for the module (it deploys every matter and hashes ~30 demo passwords
    with production argon2 parameters, seconds on 2 cores); tests that need an initialised database
    take a copy of it."""
    db = tmp_path_factory.mktemp("cli") / "ow.db"
    return db, onewindow("init", db=db)


@pytest.fixture
def initialized_db(initialized: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> Path:
    source, result = initialized
    assert result.returncode == 0, result.stderr
    return Path(shutil.copy(source, tmp_path / "ow.db"))


def test_init_deploys_and_lists_matters_and_demo_accounts(
        initialized: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    source, first = initialized
    assert first.returncode == 0, first.stderr
    db = Path(shutil.copy(source, tmp_path / "ow.db"))
    assert "food_business: v1（新版本）" in first.stdout
    assert "演示账号已创建：demo_window" in first.stdout
    assert "工作日历已初始化" in first.stdout
    again = onewindow("init", db=db)
    assert "food_business: v1（未变化）" in again.stdout and "演示账号" not in again.stdout
    listing = onewindow("matters", db=db)
    assert "食品经营许可" in listing.stdout
    deployed = onewindow("deploy", str(FIXTURES / "matters" / "parallel_review"), db=db)
    assert deployed.returncode == 2  # fixture forms are not in forms/: refused with the element named
    assert "a_review" in deployed.stderr


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
