"""Shared fixtures: real SQLite and real PostgreSQL databases, an injected clock, the engine context.

PostgreSQL tests use ``ONEWINDOW_TEST_PG_URL`` (default: the local server on 127.0.0.1:5432). Each
test session creates its own throwaway database there. When the server is unreachable the
PostgreSQL tests are skipped, except under ``CI=true``, where they fail: CI must not go green
without having exercised the production database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text

from engine.actors import Actor
from engine.clock import FixedClock
from engine.persistence.base import Base
from engine.persistence.database import normalize_url
from engine.services.context import EngineContext
from engine.settings import EngineSettings
from engine.settings import PasswordHashing
from engine.settings import ServiceEndpoint

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_ADMIN_URL = os.environ.get("ONEWINDOW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
#: argon2's cheapest parameters: the suite signs in hundreds of times, and a production-strength hash
#: costs a quarter of a second on 2 cores. tests/test_password_hashing.py proves production stays strong.
FAST_PASSWORD_HASHING = PasswordHashing(time_cost=1, memory_cost_kib=8, parallelism=1)
#: The history key of the tests' app servers: outside a demo an app refuses to start without one.
TEST_HISTORY_KEY = "test-history-key-0123456789abcdef"


def _pg_available() -> str | None:
    try:
        engine = create_engine(normalize_url(PG_ADMIN_URL), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return f"{type(exc).__name__}: {exc}"


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database for this test session."""
    problem = _pg_available()
    if problem is not None:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {problem}"
        if IN_CI:
            pytest.fail(message + " (CI=true: PostgreSQL tests are required)")
        pytest.skip(message)
    name = f"onewindow_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = normalize_url(PG_ADMIN_URL).rpartition("/")
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind, schema created from the models."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'onewindow.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_server_url")
    engine = create_engine(normalize_url(url))
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield url


@pytest.fixture
def clock() -> FixedClock:
    # Friday 2025-09-26 10:00 China time.
    return FixedClock(datetime(2025, 9, 26, 2, 0, tzinfo=UTC))


#: The allowlist the test diagrams' HTTP service tasks name (tests that call it use a local server).
TEST_ENDPOINTS = (ServiceEndpoint("property_registry", "http://127.0.0.1:9/unused"),)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> EngineSettings:
    # Workflow cache off: every step deserializes, so the restore path is what the suite exercises.
    return EngineSettings(database_url=database_url, processes_dir=FIXTURES / "matters",
                          forms_dir=FIXTURES / "forms", workflow_cache_size=0, uploads_dir=tmp_path / "uploads",
                          password_hashing=FAST_PASSWORD_HASHING, service_endpoints=TEST_ENDPOINTS)


@pytest.fixture
def ctx(settings: EngineSettings, clock: FixedClock) -> Iterator[EngineContext]:
    context = EngineContext.create(settings, clock)
    yield context
    context.dispose()


@pytest.fixture
def designer() -> Actor:
    return Actor("designer1", "设计员", frozenset({"designer"}))


@pytest.fixture
def applicant() -> Actor:
    return Actor("applicant1", "张三", frozenset({"applicant"}))


def dept_actor(group: str, user: str | None = None) -> Actor:
    return Actor(user or f"user_{group}", f"审查员{group}", frozenset({group}))


@pytest.fixture(scope="session")
def demo_installation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """One ``onewindow init --demo`` (in-process, ``tests.cli``) per test session and worker: every
    matter deployed, the sample hall and the demo accounts. Tests take a copy of the file
    (``shutil.copy``) rather than initialising their own; the second item is the command's result
    (``returncode``, ``stdout``, ``stderr``), what the first init printed."""
    from tests.cli import onewindow

    db = tmp_path_factory.mktemp("demo_installation") / "ow.db"
    return db, onewindow("init", "--demo", db=db)
