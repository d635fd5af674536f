"""SQL helpers the repositories share: the unit of work's connection, ``LIKE`` escaping, id batches for
``IN``, and inserts staged until commit."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Table
from sqlalchemy import insert

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

#: The escape character every ``LIKE`` pattern built here uses (pass it as ``escape=``).
LIKE_ESCAPE = "\\"


def connection(uow: UnitOfWork) -> Connection:
    """The unit of work's connection, in its transaction: Core statements skip the ORM's bookkeeping."""
    return uow.connection()


def escape_like(text: str) -> str:
    """``text`` with ``LIKE``'s wildcards escaped, so ``%`` and ``_`` match only themselves."""
    return text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


def contains_pattern(text: str) -> str:
    """A ``LIKE`` pattern for "contains ``text``", taken literally."""
    return f"%{escape_like(text)}%"


def group_pattern(group: str) -> str:
    """A ``LIKE`` pattern matching ``group`` exactly inside a comma-wrapped list (",a,b,")."""
    return f"%,{escape_like(group)},%"


#: Most ids one ``IN (…)`` carries: far below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
IN_LIMIT = 5000


def id_batches(ids: Iterable[int]) -> Iterator[list[int]]:
    """Sorted distinct ids in batches of ``IN_LIMIT``: one query per batch (one for any list a page shows)."""
    unique = sorted(set(ids))
    for start in range(0, len(unique), IN_LIMIT):
        yield unique[start:start + IN_LIMIT]


# -- staged inserts ------------------------------------------------------------------------------

_STAGED = "onewindow_staged_inserts"


def stage_insert(uow: UnitOfWork, table: Table, values: dict[str, Any]) -> None:
    """Keep a row to insert when the unit of work commits, with the other rows staged for its table.

    Rows nothing in the transaction reads back (history, issued documents, snapshots, credit
    entries) are staged, so a step's first write is its case row's optimistic ``UPDATE``: a step
    that lost a race then fails on that check, before it wrote anything else.
    """
    uow.info.setdefault(_STAGED, {}).setdefault(table, []).append(values)


def staged_rows(uow: UnitOfWork, table: Table) -> list[dict[str, Any]]:
    """The rows staged for ``table`` so far (read-only use: counting what this transaction adds)."""
    return uow.info.get(_STAGED, {}).get(table, [])


_INSERTS: dict[Table, Any] = {}


def flush_staged(uow: UnitOfWork) -> None:
    """Insert every staged row: one multi-row ``INSERT`` per table, tables in the order first staged."""
    for table, rows in uow.info.pop(_STAGED, {}).items():
        statement = _INSERTS.get(table)
        if statement is None:  # one per table, built once (a handful of tables stage rows)
            statement = _INSERTS[table] = insert(table)
        connection(uow).execute(statement, rows)
