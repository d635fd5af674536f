"""Backups that restore: SQLite through its online backup API, PostgreSQL through pg_dump/pg_restore.

SQLite: ``Connection.backup`` copies the database in one step under a read transaction, so the
copy is one consistent moment even while the app and the timer worker keep committing (WAL lets
them write meanwhile); copying the file instead could catch a half-written page or miss the WAL.
The copy is switched to a rollback journal so that it is one self-contained file, checked with
``PRAGMA integrity_check``, written next to its target and renamed into place (never a partial
backup under the final name).

PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot as well) and ``pg_restore --clean
--if-exists --single-transaction``, the recipe the README gives for operators' own tooling.

Restoring over a database that has cases or accounts needs ``force``: stop every app server and
timer worker first. Uploaded files are not in the database: they live in ``uploads_dir``, one
immutable file per SHA-256, and are backed up by copying that folder.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.engine import make_url

from engine.errors import EngineError
from engine.persistence.database import is_sqlite
from engine.persistence.database import normalize_url
from engine.persistence.migrate import migration_engine


class BackupFailed(EngineError):
    """A backup or restore could not be made; the message says why and what to do (Chinese)."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    revision: str | None


def sqlite_path(url: str) -> Path:
    database = make_url(normalize_url(url)).database
    if not database or database == ":memory:":
        raise BackupFailed("内存数据库无法备份")
    return Path(database)


def libpq_url(url: str) -> str:
    """The URL as pg_dump understands it (no SQLAlchemy driver suffix such as ``+psycopg``)."""
    return make_url(normalize_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


def holds_data(url: str) -> bool:
    """Whether the database has any case or account (a restore over it would destroy them)."""
    engine = migration_engine(url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            return any(conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None
                       for table in ("cases", "users") if table in tables)
    finally:
        engine.dispose()


def _revision_of_sqlite(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _check_sqlite(conn: sqlite3.Connection, what: str) -> str:
    """Integrity and a migration stamp, else ``BackupFailed``; returns the revision."""
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupFailed(f"{what}不是有效的 SQLite 数据库：{exc}") from exc
    if not result or result[0] != "ok":
        raise BackupFailed(f"{what}已损坏（integrity_check：{result[0] if result else '无结果'}）")
    revision = _revision_of_sqlite(conn)
    if revision is None:
        raise BackupFailed(f"{what}不是一窗通办的数据库（没有数据库结构版本记录）")
    return revision


def _backup_sqlite(url: str, target: Path) -> BackupInfo:
    source_path = sqlite_path(url)
    if not source_path.exists():
        raise BackupFailed(f"数据库文件不存在：{source_path}")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # pages=-1: the whole database in one step, one consistent snapshot
        copy.execute("PRAGMA journal_mode=DELETE")
        revision = _check_sqlite(copy, "备份")
    finally:
        copy.close()
        source.close()
    with open(partial, "rb+") as handle:
        os.fsync(handle.fileno())
    partial.chmod(0o600)  # it holds password hashes and applicants' data
    os.replace(partial, target)
    return BackupInfo(target, target.stat().st_size, revision)


def _restore_sqlite(source: Path, url: str) -> None:
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        _check_sqlite(backup, f"备份文件 {source} ")
        target_path = sqlite_path(url)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(target_path, timeout=30)
        try:
            backup.backup(target)
            _check_sqlite(target, "恢复后的数据库")
        finally:
            target.close()
    finally:
        backup.close()


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(f"未找到 {name}：请安装与服务器同版本的 PostgreSQL 客户端"
                           "（如 apt-get install postgresql-client）")
    return found


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise BackupFailed(f"{what}失败：{result.stderr.strip()[-2000:]}")


def _pg_revision(url: str) -> str | None:
    engine = migration_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def backup_database(url: str, target: Path) -> BackupInfo:
    """Write a consistent backup of the database at ``url`` to ``target`` (safe while the app runs).

    :raise BackupFailed: with the reason in Chinese; no file appears under ``target``'s name.
    """
    target = Path(target)
    if target.is_dir():
        raise BackupFailed(f"{target} 是目录，请给出备份文件名")
    target.parent.mkdir(parents=True, exist_ok=True)
    if is_sqlite(normalize_url(url)):
        return _backup_sqlite(url, target)
    partial = target.with_name(target.name + ".partial")
    _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", f"--dbname={libpq_url(url)}"],
         "pg_dump 备份")
    partial.chmod(0o600)
    os.replace(partial, target)
    return BackupInfo(target, target.stat().st_size, _pg_revision(url))


def restore_database(source: Path, url: str, *, force: bool = False) -> None:
    """Replace the database at ``url`` with the backup ``source``.

    :raise BackupFailed: the backup is missing or invalid, or the database holds data and ``force``
        was not given (nothing was changed then).
    """
    source = Path(source)
    if not source.is_file():
        raise BackupFailed(f"备份文件不存在：{source}")
    if not force and holds_data(url):
        raise BackupFailed("目标数据库已有办件或账号，恢复会覆盖它们；请先停止所有 Web 服务和定时器进程，"
                           "确认后加 --force 重试")
    if is_sqlite(normalize_url(url)):
        _restore_sqlite(source, url)
        return
    _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", f"--dbname={libpq_url(url)}", str(source)], "pg_restore 恢复")
