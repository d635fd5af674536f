"""SQL helpers the repositories share: the unit of work's connection, and escaping for ``LIKE``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

#: The escape character every ``LIKE`` pattern built here uses (pass it as ``escape=``).
LIKE_ESCAPE = "\\"


def connection(uow: UnitOfWork) -> Connection:
    """The unit of work's connection, in its transaction: Core statements skip the ORM's bookkeeping."""
    return uow.session.connection()


def escape_like(text: str) -> str:
    """``text`` with ``LIKE``'s wildcards escaped, so ``%`` and ``_`` match only themselves."""
    return text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


def contains_pattern(text: str) -> str:
    """A ``LIKE`` pattern for "contains ``text``", taken literally."""
    return f"%{escape_like(text)}%"


def group_pattern(group: str) -> str:
    """A ``LIKE`` pattern matching ``group`` exactly inside a comma-wrapped list (",a,b,")."""
    return f"%,{escape_like(group)},%"
