"""A lost race on SQLite ("database is locked") is a conflict to retry, not a crash.

The error is produced for real: one connection holds SQLite's write lock while a second one,
with no busy timeout, tries to write.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from engine.errors import ConcurrentUpdate
from engine.persistence.conflicts import is_conflict
from engine.persistence.conflicts import translate_conflicts


def _locked_error(tmp_path: Path) -> OperationalError:
    url = f"sqlite:///{tmp_path / 'locked.sqlite3'}"
    holder = create_engine(url)
    waiter = create_engine(url, connect_args={"timeout": 0})
    try:
        with holder.connect() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.commit()
        with holder.connect() as first, waiter.connect() as second:
            first.exec_driver_sql("BEGIN IMMEDIATE")
            first.execute(text("INSERT INTO t VALUES (1)"))
            with pytest.raises(OperationalError) as info:
                second.execute(text("INSERT INTO t VALUES (2)"))
            first.rollback()
        return info.value
    finally:
        holder.dispose()
        waiter.dispose()


def test_sqlite_database_is_locked_is_a_conflict(tmp_path: Path) -> None:
    error = _locked_error(tmp_path)
    assert "locked" in str(error.orig)
    assert is_conflict(error)
    with pytest.raises(ConcurrentUpdate):
        with translate_conflicts():
            raise error


def test_other_database_errors_are_not_conflicts(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'plain.sqlite3'}")
    try:
        with engine.connect() as conn, pytest.raises(OperationalError) as info:
            conn.execute(text("SELECT * FROM no_such_table"))
    finally:
        engine.dispose()
    assert not is_conflict(info.value)
    with pytest.raises(OperationalError):
        with translate_conflicts():
            raise info.value
