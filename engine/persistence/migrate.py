"""Schema migrations (Alembic), callable from code, the CLI and tests alike.

The schema is owned by the migrations in ``migrations/versions``, not by ``Base.metadata.create_all``:
a production database keeps its data across releases, so every model change ships as a revision.
These helpers locate ``alembic.ini`` through ``PROJECT_ROOT`` rather than the working directory,
so ``upgrade_database`` works the same from a web worker, a CLI command or a test in a temp dir.

``compare_type`` and ``render_item`` are the autogenerate hooks ``migrations/env.py`` installs;
they live here so the "models match migrations" test uses exactly the same rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Column
from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.types import DateTime
from sqlalchemy.types import TypeEngine

from engine.persistence.base import UtcDateTime
from engine.persistence.database import is_sqlite
from engine.persistence.database import normalize_url
from engine.settings import PROJECT_ROOT

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic ``Config`` with absolute paths, so it does not depend on the current directory.

    ``alembic.ini`` names ``script_location = migrations`` relative to the repo root (right for the
    ``alembic`` CLI run there); here it is pinned to ``PROJECT_ROOT / "migrations"``. ``url``, when
    given, becomes ``sqlalchemy.url``; without it ``env.py`` falls back to ``default_database_url()``.
    Logging is left alone: an application calling this must not have its loggers reconfigured.
    """
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser interpolates '%': escape it, or URL-encoded passwords would break.
        config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


def migration_engine(url: str) -> Engine:
    """A throwaway engine for schema work: no pool left behind, and none of ``make_engine``'s SQLite
    pragmas (``foreign_keys=ON`` would make batch-mode table rebuilds cascade or fail)."""
    url = normalize_url(url)
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url, poolclass=NullPool)


def upgrade_database(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (default: the newest), creating it if empty."""
    command.upgrade(alembic_config(url), revision)


def downgrade_database(url: str, revision: str) -> None:
    """Take the database at ``url`` back to ``revision`` (``"base"`` drops every migrated table).

    No default on purpose: a downgrade destroys data, so the caller must name the target.
    """
    command.downgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is stamped with; ``None`` for a never-migrated database."""
    engine = migration_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


# -- autogenerate hooks (installed by migrations/env.py) -------------------------------------------


def compare_type(
    context: MigrationContext,
    inspected_column: Column[Any],
    metadata_column: Column[Any],
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """Treat ``UtcDateTime`` as the ``DateTime(timezone=True)`` it stores as.

    Returns False (no difference) when the database column is a DateTime/TIMESTAMP, on PostgreSQL
    only if it is ``timestamp with time zone`` (SQLite reflects no time zone flag at all). ``None``
    hands every other column to Alembic's default comparison.
    """
    if isinstance(metadata_type, UtcDateTime):
        if not isinstance(inspected_type, DateTime):
            return True
        if context.dialect.name == "postgresql":
            return not inspected_type.timezone
        return False
    return None


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render ``UtcDateTime`` as ``sa.DateTime(timezone=True)``.

    Migrations must not import application types: a revision has to keep working after the model
    code it was generated from has changed or gone. ``False`` means "render the default way".
    """
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False

