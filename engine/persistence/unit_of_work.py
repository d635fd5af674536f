"""One transaction per use case: state, worklist rows and history commit together or not at all."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection
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
    """

    def __init__(self, session_factory: sessionmaker[Session], *, write: bool = False, history_key: str = "") -> None:
        self._session_factory = session_factory
        self._write = write
        #: Signs the chain head of every case this unit of work saves (``repositories.cases.save_case``).
        self.history_key = history_key
        self.session: Session
        self._connection: Connection | None = None

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self._committed = False
        if self._write:
            self.begin_write()
        return self

    def connection(self) -> Connection:
        """The session's connection in this unit of work's transaction, asked of the session once.

        ``Session.connection()`` re-checks the session's transaction state on every call; a step
        sends a dozen statements, so the answer is kept until the connection is given back.
        """
        conn = self._connection
        if conn is None or conn.closed:
            conn = self._connection = self.session.connection()
        return conn

    def begin_write(self) -> None:
        """Declare this a write use case; call it before the use case reads what it will change.

        On SQLite the transaction then holds the database's single write lock (``BEGIN IMMEDIATE``,
        see ``database.begin_immediate``): what it reads cannot change under it, which is what
        ``SELECT … FOR UPDATE`` gives on PostgreSQL. Reads made before it (outside a transaction on
        SQLite) are not covered; a conflicting write still fails safely as a conflict.
        """
        if not self.session.in_transaction():
            self.session.connection(execution_options={WRITE_OPTION: True})
        elif self.dialect == "sqlite":
            begin_immediate(self.session.connection())

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if not self._committed or exc_type is not None:
                self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        """Write the staged rows (history, documents, …), then commit everything this unit of work did."""
        self.session.flush()  # rows the old ORM-based functions added (the designer's drafts)
        check_chain_heads(self)
        flush_staged(self)
        self.session.commit()
        self._committed = True

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name
