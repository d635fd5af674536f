"""Message subscriptions: which case waits for which message or signal, replaced on every saved step."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select

from engine.persistence.operations_records import MessageSubscriptionRecord
from engine.persistence.sql import connection

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

SUBSCRIPTIONS = MessageSubscriptionRecord.__table__


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    case_id: int
    kind: str
    name: str
    element_id: str
    case_number: str
    credit_code: str
    #: When the case began to wait (the step that reached the event saved it).
    created_at: datetime | None = None


def replace_subscriptions(uow: UnitOfWork, case_id: int, case_number: str, credit_code: str,
                          waiting: Iterable[tuple[str, str, str]], now: datetime) -> None:
    """The case's rows become exactly ``waiting`` ((kind, name, element id) triples)."""
    conn = connection(uow)
    conn.execute(delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.case_id == case_id))
    rows = [{"case_id": case_id, "kind": kind, "name": name, "element_id": element_id, "case_number": case_number,
             "credit_code": credit_code, "created_at": now} for kind, name, element_id in waiting]
    if rows:
        conn.execute(insert(SUBSCRIPTIONS), rows)


def _rows(query) -> list[SubscriptionRow]:  # type: ignore[no-untyped-def]
    return [SubscriptionRow(r.case_id, r.kind, r.name, r.element_id, r.case_number, r.credit_code, r.created_at)
            for r in query]


def waiting_cases(uow: UnitOfWork, kind: str, name: str, *, case_number: str | None = None,
                  credit_code: str | None = None, limit: int = 500) -> list[SubscriptionRow]:
    """Cases waiting for ``kind``/``name``, narrowed by the correlation keys given, oldest first."""
    query = select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.kind == kind, SUBSCRIPTIONS.c.name == name)
    if case_number:
        query = query.where(SUBSCRIPTIONS.c.case_number == case_number)
    if credit_code:
        query = query.where(SUBSCRIPTIONS.c.credit_code == credit_code)
    query = query.order_by(SUBSCRIPTIONS.c.case_id).limit(limit)
    return _rows(connection(uow).execute(query))


def subscriptions_of_case(uow: UnitOfWork, case_id: int) -> list[SubscriptionRow]:
    query = select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.case_id == case_id).order_by(SUBSCRIPTIONS.c.id)
    return _rows(connection(uow).execute(query))
