"""Recognising lost races, whatever the backend reports them as."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import ConcurrentUpdate


def is_conflict(exc: BaseException) -> bool:
    """True for optimistic-lock misses, SQLite busy errors, PostgreSQL serialization failures."""
    if isinstance(exc, StaleDataError):
        return True
    if isinstance(exc, sqlite3.OperationalError):  # the write lock not had in time (database.begin_immediate)
        return "locked" in str(exc)
    if isinstance(exc, OperationalError):
        original = getattr(exc, "orig", None)
        if isinstance(original, sqlite3.OperationalError) and "locked" in str(original):
            return True
        return getattr(original, "sqlstate", None) in ("40001", "40P01")  # serialization failure, deadlock
    return False


@contextlib.contextmanager
def translate_conflicts(message: str | None = None) -> Iterator[None]:
    """Turn a lost race into ``ConcurrentUpdate`` (nothing of the loser's step was saved)."""
    try:
        yield
    except Exception as exc:
        if is_conflict(exc):
            raise ConcurrentUpdate() if message is None else ConcurrentUpdate(message) from exc
        raise


@contextlib.contextmanager
def translate_duplicates(message: str) -> Iterator[None]:
    """Turn a unique-constraint violation into ``ConcurrentUpdate`` with ``message``."""
    try:
        yield
    except IntegrityError as exc:
        raise ConcurrentUpdate(message) from exc
