"""Alembic environment for OneWindow: no Flask, only the engine's persistence package and settings.

Where the database comes from, first match wins:

1. ``config.attributes["connection"]``: an open connection handed in by the caller (tests, or code
   that must migrate inside its own transaction); the caller owns it and its commit.
2. ``sqlalchemy.url`` set on the config (``engine.persistence.migrate.alembic_config(url)`` or
   an ini given to ``alembic -c`` that sets it).
3. ``engine.settings.default_database_url()``: ``DATABASE_URL`` or the SQLite file in ``instance/``.

Every URL goes through ``normalize_url`` so plain ``postgresql://`` uses psycopg 3.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

import engine.persistence.records  # noqa: F401 - registers every table on Base.metadata
from engine.persistence.base import Base
from engine.persistence.database import normalize_url
from engine.persistence.migrate import compare_type
from engine.persistence.migrate import migration_engine
from engine.persistence.migrate import render_item
from engine.settings import default_database_url

config = context.config

# The CLI gets the ini's logging; library callers (migrate.alembic_config) opt out so their own
# logging setup is not replaced. Existing loggers stay enabled either way.
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata

CONFIGURE_OPTS = {
    "target_metadata": target_metadata,
    "compare_type": compare_type,
    "render_item": render_item,
    # SQLite cannot ALTER most things; batch mode rebuilds the table there and is plain ALTER elsewhere.
    "render_as_batch": True,
}


def database_url() -> str:
    url = config.get_main_option("sqlalchemy.url") or default_database_url()
    return normalize_url(url)


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``alembic upgrade head --sql``) instead of running it."""
    context.configure(url=database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"},
                      **CONFIGURE_OPTS)
    with context.begin_transaction():
        context.run_migrations()


def run_with_connection(connection: Connection) -> None:
    context.configure(connection=connection, **CONFIGURE_OPTS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    shared = config.attributes.get("connection")
    if shared is not None:
        run_with_connection(shared)
        return
    engine = migration_engine(database_url())
    try:
        with engine.connect() as connection:
            run_with_connection(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
