"""Version counters of state that every process caches: one row per name, read in one cheap query.

A change to the cached state bumps its counter in the same transaction, so a process that sees a
new number knows the state it holds is stale, whichever process (web worker, timer worker, CLI)
made the change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from engine.persistence.records import SharedVersionRecord
from engine.persistence.sql import connection

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

VERSIONS = SharedVersionRecord.__table__


def shared_version(uow: UnitOfWork, name: str) -> int:
    """The current version of ``name`` (0 if it never changed)."""
    found = connection(uow).execute(select(VERSIONS.c.version).where(VERSIONS.c.name == name)).scalar()
    return int(found or 0)


def bump_shared_version(uow: UnitOfWork, name: str) -> int:
    """Count one change to ``name`` in the caller's transaction; returns the new version.

    The ``UPDATE`` takes the row's write lock, so two concurrent changes get distinct numbers; the
    first change ever inserts the row (a second first change then fails as a duplicate key, a conflict).
    """
    conn = connection(uow)
    result = conn.execute(update(VERSIONS).where(VERSIONS.c.name == name).values(version=VERSIONS.c.version + 1))
    if result.rowcount == 0:
        conn.execute(insert(VERSIONS).values(name=name, version=1))
        return 1
    return shared_version(uow, name)
