"""Backups taken while cases are being worked restore to a database whose history verifies."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.persistence.backup import BackupFailed
from engine.persistence.backup import backup_database
from engine.persistence.backup import restore_database
from engine.services import cases
from engine.services import tasks
from engine.services.context import EngineContext
from engine.services.deploy import deploy_path
from engine.settings import EngineSettings
from tests import cli
from tests.cli import Ran
from tests.conftest import FIXTURES
from tests.conftest import IN_CI
from tests.conftest import dept_actor
from tests.databases import empty_database
from tests.databases import migrated_database
from tests.services.conftest import VALID_APPLICATION

KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
APPLICANT = Actor("applicant1", "张三", frozenset({"applicant"}))


def _require_pg_tools(kind: str) -> None:
    if kind == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        message = "pg_dump/pg_restore not installed (apt-get install postgresql-client)"
        if IN_CI:
            pytest.fail(message + " (CI=true: the PostgreSQL backup recipe must be tested)")
        pytest.skip(message)


def onewindow(url: str, *args: str) -> Ran:
    return cli.onewindow(*args, db=url)


def _work_one_case(ctx: EngineContext) -> int:
    """Start a parallel-review case and take it through both departments' first two steps."""
    view = cases.start_case(ctx, "parallel_review", APPLICANT)
    submit = next(t for t in view.open_tasks if t.element_id == "submit")
    view = tasks.complete_task(ctx, view.id, submit.task_uuid, VALID_APPLICATION, APPLICANT)
    for element in ("a_cb", "b_cb", "a_sh", "b_sh"):
        task = next(t for t in view.open_tasks if t.element_id == element)
        view = tasks.complete_task(ctx, view.id, task.task_uuid, {f"{element[0]}_opinion": "approve"},
                                   dept_actor(element))
    return view.id


class Clerks:
    """A thread completing tasks case after case until stopped."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.done: list[int] = []
        self.errors: list[BaseException] = []
        self.stop = threading.Event()
        self.progress = threading.Condition()
        self.thread = threading.Thread(target=self._run, name="clerks", daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                case_id = _work_one_case(self.ctx)
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                self.errors.append(exc)
                return
            with self.progress:
                self.done.append(case_id)
                self.progress.notify_all()

    def wait_for(self, count: int) -> None:
        with self.progress:
            assert self.progress.wait_for(lambda: len(self.done) >= count or self.errors, timeout=300)
        assert not self.errors, self.errors

    def __enter__(self) -> Clerks:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(120)


@pytest.fixture
def source(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, EngineContext]]:
    kind = request.param
    _require_pg_tools(kind)
    with migrated_database(kind, tmp_path, request) as url:
        settings = EngineSettings(database_url=url, processes_dir=FIXTURES / "matters", forms_dir=FIXTURES / "forms",
                                  uploads_dir=tmp_path / "uploads")
        from datetime import UTC
        from datetime import datetime

        ctx = EngineContext.create(settings, FixedClock(datetime(2025, 9, 26, 2, 0, tzinfo=UTC)))
        deploy_path(ctx, settings.processes_dir, Actor("designer1", groups=frozenset({"designer"})))
        yield url, ctx
        ctx.dispose()


def _case_ids(url: str) -> set[int]:
    ctx = EngineContext.create(EngineSettings(database_url=url))
    try:
        with ctx.uow() as uow:
            from sqlalchemy import text

            return set(uow.session.scalars(text("SELECT id FROM cases")))
    finally:
        ctx.dispose()


@pytest.mark.parametrize("source", KINDS, indirect=True)
def test_backup_taken_while_cases_are_worked_restores_and_verifies(
        source: tuple[str, EngineContext], tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url, ctx = source
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    backup = tmp_path / "onewindow.backup"
    with Clerks(ctx) as clerks:
        clerks.wait_for(2)
        finished_before = set(clerks.done)
        info = backup_database(url, backup)  # the clerks keep completing tasks meanwhile
        # Work goes on: the second case finished from now on was started after the backup.
        clerks.wait_for(len(clerks.done) + 2)
    assert not clerks.errors, clerks.errors
    assert info.path == backup and info.size > 0 and info.revision
    assert not list(tmp_path.glob("*.partial"))
    with empty_database(kind, tmp_path, request) as target:
        restore_database(backup, target)
        restored = _case_ids(target)
        assert finished_before <= restored  # everything finished before the backup is in it
        assert restored < _case_ids(url)  # and the cases started after it are not
        verified = onewindow(target, "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert f"已核验 {len(restored)} 个办件的办理记录，0 个异常" in verified.stdout


@pytest.mark.parametrize("source", KINDS, indirect=True)
def test_restore_never_overwrites_data_unasked(source: tuple[str, EngineContext], tmp_path: Path) -> None:
    url, ctx = source
    _work_one_case(ctx)
    backup = tmp_path / "b.backup"
    backup_database(url, backup)
    with pytest.raises(BackupFailed, match="--force"):
        restore_database(backup, url)
    _work_one_case(ctx)
    assert len(_case_ids(url)) == 2  # refused: nothing changed
    ctx.dispose()  # no live pool on the database being replaced (the README says: stop the servers)
    restore_database(backup, url, force=True)
    assert len(_case_ids(url)) == 1


def test_sqlite_backup_and_restore_commands(demo_installation: tuple[Path, Ran], tmp_path: Path) -> None:
    source, initialised = demo_installation
    assert initialised.returncode == 0, initialised.stderr
    db = Path(shutil.copy(source, tmp_path / "live.sqlite3"))
    url = f"sqlite:///{db}"
    backup = tmp_path / "nightly.sqlite3"
    made = onewindow(url, "backup", str(backup))
    assert made.returncode == 0, made.stderr
    assert f"已备份到 {backup}" in made.stdout and "instance/uploads/" in made.stdout
    assert oct(backup.stat().st_mode & 0o777) == "0o600"  # password hashes and applicants' data
    with sqlite3.connect(backup) as conn:  # one self-contained file, no WAL beside it
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    restored = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    done = onewindow(restored, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert "onewindow verify" in done.stdout
    assert "食品经营许可" in onewindow(restored, "matters").stdout
    again = onewindow(restored, "restore", str(backup))
    assert again.returncode == 2 and "--force" in again.stderr
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    refused = onewindow(f"sqlite:///{tmp_path / 'other.sqlite3'}", "restore", str(junk))
    assert refused.returncode == 2 and "不是有效的 SQLite 数据库" in refused.stderr
