"""One transaction per use case: state, worklist rows and history commit together or not at all."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from engine.persistence.database import WRITE_OPTION
from engine.persistence.database import begin_immediate
from engine.persistence.repositories.history import check_chain_heads
from engine.persistence.sql import flush_staged


class UnitOfWork:
    """Context manager around one database transaction; rolls back unless ``commit()`` was called.

    Services hand it to repository functions (``engine.persistence.repositories.*``) and call
    ``commit()`` once, at the end of the use case; only ``engine/persistence`` looks inside.

    The transaction lives on one plain SQLAlchemy ``Connection``: every repository sends Core
    statements, so no ORM ``Session`` sits on a step's path (building one, and its transaction
    bookkeeping on begin and commit, cost more than some of the statements). ``session`` makes one
    on demand, joined to the same connection and transaction, for code that still wants the ORM.
    """

    def __init__(self, session_factory: sessionmaker[Session], *, write: bool = False, history_key: str = "") -> None:
        self._session_factory = session_factory
        bind = session_factory.kw.get("bind")
        if not isinstance(bind, Engine):
            raise TypeError("the session factory must be bound to an engine")
        self._engine: Engine = bind
        self._write = write
        #: Signs the chain head of every case this unit of work saves (``repositories.cases.save_case``).
        self.history_key = history_key
        #: What this unit of work keeps until it commits (staged rows, chain heads), by owner's key.
        self.info: dict[str, Any] = {}
        self._session: Session | None = None
        self._connection: Connection | None = None
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self.info = {}
        self._session = None
        self._connection = None
        self._committed = False
        if self._write:
            self.begin_write()
        return self

    def connection(self) -> Connection:
        """The unit of work's connection; its transaction begins with the first statement."""
        conn = self._connection
        if conn is None:
            conn = self._connection = self._engine.connect()
        return conn

    @property
    def session(self) -> Session:
        """An ORM session in this unit of work's transaction (made on first use; the hot path has none)."""
        session = self._session
        if session is None:
            session = self._session = self._session_factory(bind=self.connection())
        return session

    def begin_write(self) -> None:
        """Declare this a write use case; call it before the use case reads what it will change.

        On SQLite the transaction then holds the database's single write lock (``BEGIN IMMEDIATE``,
        see ``database.begin_immediate``): what it reads cannot change under it, which is what
        ``SELECT … FOR UPDATE`` gives on PostgreSQL. Reads made before it (outside a transaction on
        SQLite) are not covered; a conflicting write still fails safely as a conflict.
        """
        conn = self.connection()
        if not conn.in_transaction():
            conn.execution_options(**{WRITE_OPTION: True})
            conn.begin()  # the engine's "begin" listener takes the SQLite write lock
        elif self.dialect == "sqlite":
            begin_immediate(conn)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        conn, session = self._connection, self._session
        self._connection = self._session = None
        try:
            if session is not None:
                session.close()
        finally:
            if conn is not None:
                try:
                    if not self._committed or exc_type is not None:
                        conn.rollback()
                finally:
                    conn.close()

    def commit(self) -> None:
        """Write the staged rows (history, documents, …), then commit everything this unit of work did."""
        if self._session is not None:
            self._session.flush()  # rows ORM code added through ``session``
        check_chain_heads(self)
        flush_staged(self)
        if self._session is not None:
            self._session.commit()  # ends the session's part (a no-op on a transaction it joined)
        conn = self._connection
        if conn is not None and conn.in_transaction():
            conn.commit()
        self._committed = True

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name
