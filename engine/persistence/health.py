"""Is the database reachable, and is its schema the one this code expects? (For ``/healthz``.)"""

from __future__ import annotations

import functools

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from engine.persistence.database import Database
from engine.persistence.migrate import alembic_config


@functools.cache
def expected_revision() -> str | None:
    """The newest migration shipped with this code (read from ``migrations/`` once per process)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(db: Database) -> str | None:
    """The revision the database is stamped with, over the app's own pool (raises if unreachable)."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
