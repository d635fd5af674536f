"""Engine/session creation for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

#: Execution option a unit of work sets on its connection to say "this transaction will write".
WRITE_OPTION = "onewindow_write"
#: Longest wait for SQLite's write lock, in ms (also every other statement's ``busy_timeout``).
SQLITE_BUSY_MS = 30000
#: Pause between two attempts at SQLite's write lock, in seconds (a random fraction of it).
WRITE_LOCK_RETRY_S = 0.002


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    url = normalize_url(url)
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            # WAL lets readers work while a step commits; NORMAL sync is durable across app crashes.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            if conn.get_execution_options().get(WRITE_OPTION):
                begin_immediate(conn)
            else:
                # Other units of work keep the driver's own handling: reads outside a transaction,
                # a deferred one begun right before the first write, which waits (busy_timeout)
                # for the write lock. (A deferred transaction begun at the first *read* would
                # instead fail at once at its first write whenever anyone committed meanwhile.)
                conn.connection.dbapi_connection.isolation_level = ""

        return engine
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20)
    _ping_when_idle(engine)
    return engine


#: A pooled PostgreSQL connection idle for longer than this is pinged before use (seconds).
PING_AFTER_IDLE_S = 5.0
_CHECKED_IN = "onewindow_checked_in_at"


def _ping_when_idle(engine: Engine) -> None:
    """``pool_pre_ping``, but only for a connection that sat in the pool a while.

    The pre-ping (a ``SELECT 1`` at every checkout) was one round trip in every unit of work, and a
    request has several. A connection given back moments ago is alive unless the server went away
    in those moments; one idle longer is pinged as before, so a restarted or failed-over database,
    or a connection a firewall dropped overnight, is still replaced unseen. A server lost within
    ``PING_AFTER_IDLE_S`` of a connection's last use fails that one statement as a disconnect, which
    invalidates the pool: the next request reconnects.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):  # type: ignore[no-untyped-def]
        since = record.info.get(_CHECKED_IN)
        if since is not None and time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise InvalidatePoolError() from exc  # the pool reconnects, as the pre-ping did
            raise


def begin_immediate(conn: Connection) -> bool:
    """Start an SQLite transaction holding the write lock now, unless the connection is already in
    one (then False: a write in it still fails safely, as a conflict, if it lost a race).

    From here on nobody else commits until this transaction ends, so everything it reads comes from
    one commit and stays true until it writes: on SQLite what ``SELECT … FOR UPDATE`` gives on
    PostgreSQL, for the whole database. Other writers wait for it (busy_timeout), they do not fail.
    """
    raw = conn.connection.dbapi_connection
    if raw is None or raw.in_transaction:
        return False
    raw.isolation_level = None  # explicit BEGIN/COMMIT: the driver must not begin one of its own
    _take_write_lock(raw)
    return True


def _take_write_lock(raw: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, retried every millisecond or two instead of through SQLite's busy handler.

    The busy handler sleeps longer the longer a connection has waited (up to 100 ms between two
    looks), so under steady writes a long waiter keeps losing the lock to newcomers that look again
    after 1 ms: a timer worker behind the app servers waited over two seconds. Looking again at a
    short, constant, jittered interval gives every waiter the same chance at each release.

    :raise sqlite3.OperationalError: still locked after ``SQLITE_BUSY_MS`` (as the busy handler would).
    """
    deadline = time.monotonic() + SQLITE_BUSY_MS / 1000
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(random.uniform(0.1, 1.0) * WRITE_LOCK_RETRY_S)  # noqa: S311 - jitter, not a secret
    finally:
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


class Database:
    """One database: its SQLAlchemy engine and session factory, created together, disposed together."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url)
        self.session_factory = make_session_factory(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()
