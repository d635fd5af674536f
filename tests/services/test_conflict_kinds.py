"""Rule: every way a backend reports a lost race is a conflict to retry (ConcurrentUpdate), and nothing else is.

The SQLite lock is produced for real in test_conflicts.py; PostgreSQL's serialization failure (40001) and
deadlock (40P01) cannot be produced on SQLite, so their driver errors are stood in by an object carrying the
``sqlstate`` psycopg puts on them.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import ConcurrentUpdate
from engine.persistence.conflicts import is_conflict
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.conflicts import translate_duplicates


class _DriverError(Exception):
    """What psycopg raises: the SQLSTATE code in ``sqlstate``."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


def _wrapped(orig: BaseException | None) -> OperationalError:
    return OperationalError("UPDATE onewindow_cases SET ...", {}, orig)


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_postgresql_serialization_failure_and_deadlock_are_conflicts(sqlstate: str) -> None:
    error = _wrapped(_DriverError(sqlstate))
    assert is_conflict(error)
    with pytest.raises(ConcurrentUpdate), translate_conflicts():
        raise error


@pytest.mark.parametrize("sqlstate", ["40p01", "42P01", "08006", ""])
def test_other_postgresql_errors_are_not_conflicts(sqlstate: str) -> None:
    """An undefined table or a lost connection is a fault to report, not a race to retry."""
    error = _wrapped(_DriverError(sqlstate))
    assert not is_conflict(error)
    with pytest.raises(OperationalError), translate_conflicts():
        raise error


def test_an_error_without_a_driver_error_is_not_a_conflict() -> None:
    assert not is_conflict(_wrapped(None))


def test_an_optimistic_lock_miss_is_a_conflict() -> None:
    """The version counter of the row moved on between our read and our write."""
    error = StaleDataError("UPDATE statement on table 'onewindow_cases' expected to update 1 row(s); 0 were matched.")
    assert is_conflict(error)
    with pytest.raises(ConcurrentUpdate), translate_conflicts():
        raise error


def test_a_bare_sqlite_lock_error_is_a_conflict_and_other_bare_sqlite_errors_are_not() -> None:
    """``begin_immediate`` meets the driver's own error, not SQLAlchemy's wrapper."""
    assert is_conflict(sqlite3.OperationalError("database is locked"))
    assert not is_conflict(sqlite3.OperationalError("disk I/O error"))


def test_the_conflict_carries_the_callers_message_and_its_cause() -> None:
    cause = _wrapped(_DriverError("40001"))
    with pytest.raises(ConcurrentUpdate, match="请重新提交") as caught, translate_conflicts("请重新提交"):
        raise cause
    assert caught.value.__cause__ is cause


def test_the_conflict_without_a_message_says_to_reload() -> None:
    with pytest.raises(ConcurrentUpdate, match="刷新后重试"), translate_conflicts():
        raise StaleDataError("0 rows matched")


def test_an_ordinary_exception_passes_through_unchanged() -> None:
    with pytest.raises(KeyError), translate_conflicts():
        raise KeyError("x")


def test_a_duplicate_key_becomes_a_conflict_with_the_callers_message() -> None:
    cause = IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))
    with pytest.raises(ConcurrentUpdate, match="编号已被占用") as caught, translate_duplicates("编号已被占用"):
        raise cause
    assert caught.value.__cause__ is cause
