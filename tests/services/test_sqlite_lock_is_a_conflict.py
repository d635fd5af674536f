"""Rule: SQLite's "database is locked" is a lost race, reported as ConcurrentUpdate (try again), never a crash.

Written against a real lock held by a second connection on a real SQLite file. (The "repos" helper adds
a test of the same rule through a service; this one pins the translation itself.)
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from engine.errors import ConcurrentUpdate
from engine.persistence.conflicts import is_conflict
from engine.persistence.conflicts import translate_conflicts


def _locked_write(path: Path) -> OperationalError:
    """The error SQLite really raises when another connection holds the write lock."""
    holder = sqlite3.connect(path, timeout=0, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with pytest.raises(OperationalError) as caught, engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
        return caught.value
    finally:
        engine.dispose()
        holder.execute("ROLLBACK")
        holder.close()


def test_database_is_locked_is_a_conflict(tmp_path: Path) -> None:
    error = _locked_write(tmp_path / "locked.sqlite3")
    assert "locked" in str(error.orig)
    assert is_conflict(error)


def test_database_is_locked_becomes_concurrent_update(tmp_path: Path) -> None:
    error = _locked_write(tmp_path / "locked.sqlite3")
    with pytest.raises(ConcurrentUpdate), translate_conflicts():
        raise error


def test_other_sqlite_errors_are_not_conflicts(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    try:
        with pytest.raises(OperationalError) as caught, engine.begin() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))
    finally:
        engine.dispose()
    assert not is_conflict(caught.value)
    with pytest.raises(OperationalError), translate_conflicts():
        raise caught.value
