"""Throwaway databases migrated by Alembic (as ``onewindow init`` makes them), for tests that need
more than the shared per-session PostgreSQL database: a second database, or a real migration head."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text

from engine.persistence.database import normalize_url
from engine.persistence.migrate import upgrade_database
from tests.conftest import PG_ADMIN_URL


@contextlib.contextmanager
def empty_database(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a new, empty database of ``kind`` (``sqlite`` or ``postgresql``), dropped afterwards.

    PostgreSQL goes through the ``pg_server_url`` fixture first, so an absent server skips (or, under
    ``CI=true``, fails) exactly as the rest of the suite does.
    """
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / f'db_{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    request.getfixturevalue("pg_server_url")
    name = f"onewindow_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = normalize_url(PG_ADMIN_URL).rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def migrated_database(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    with empty_database(kind, tmp_path, request) as url:
        upgrade_database(url)
        yield url
