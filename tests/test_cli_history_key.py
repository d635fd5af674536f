"""A CLI import that can write case history refuses production without the history key (in-process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.services.accounts import actor_for
from engine.services.context import EngineContext
from engine.settings import EngineSettings
from webapp.cli import main

PEOPLE = "用户名,姓名,所在部门,角色,岗位,窗口,手机号,状态\nzhaoliu,赵六,许可科,审计员,,,13800138000,在用\n"


@pytest.fixture
def production_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "ow.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("ONEWINDOW_HISTORY_KEY", "k" * 40)
    assert main(["init", "--no-sample"]) == 0
    monkeypatch.delenv("ONEWINDOW_HISTORY_KEY")
    return db


def _has_account(db: Path, username: str) -> bool:
    ctx = EngineContext.create(EngineSettings(database_url=f"sqlite:///{db}"))
    try:
        return actor_for(ctx, username) is not None
    finally:
        ctx.dispose()


def test_org_import_without_the_history_key_is_refused_and_changes_nothing(
        production_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Deactivating a person releases their claimed tasks with a history row on each case: without the key
    those rows would leave chain heads unsigned, and every later ``verify`` of those cases would fail."""
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE, encoding="utf-8")

    assert main(["org", "import", str(people)]) == 2
    assert "ONEWINDOW_HISTORY_KEY" in capsys.readouterr().err
    assert not _has_account(production_db, "zhaoliu")

    assert main(["org", "import", "--dry-run", str(people)]) == 0  # a dry run writes nothing: no key needed
    assert not _has_account(production_db, "zhaoliu")

    monkeypatch.setenv("ONEWINDOW_HISTORY_KEY", "k" * 40)
    assert main(["org", "import", str(people)]) == 0
    assert _has_account(production_db, "zhaoliu")
