"""The outbox: case events staged in the step's transaction, picked up and marked by the deliverer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from engine.persistence.operations_records import OutboxRecord
from engine.persistence.sql import connection

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

OUTBOX = OutboxRecord.__table__


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    case_id: int
    webhook: str
    delivery_id: str
    event_type: str
    payload_json: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    delivered_at: datetime | None


def add_events(uow: UnitOfWork, rows: list[dict[str, object]]) -> None:
    if rows:
        connection(uow).execute(insert(OUTBOX), rows)


#: The event type of a service task's HTTP request (its ``webhook`` column names the endpoint).
SERVICE_CALL = "service.call"


def due_deliveries(uow: UnitOfWork, now: datetime, limit: int = 100, *,
                   service_calls: bool = False) -> list[OutboxRow]:
    """Due webhook events, or (``service_calls``) due service-task requests."""
    kind = OUTBOX.c.event_type == SERVICE_CALL if service_calls else OUTBOX.c.event_type != SERVICE_CALL
    query = (select(OUTBOX).where(OUTBOX.c.status == "pending", OUTBOX.c.next_attempt_at <= now, kind)
             .order_by(OUTBOX.c.id).limit(limit))
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [OutboxRow(**dict(r)) for r in connection(uow).execute(query).mappings()]


def lease(uow: UnitOfWork, row_ids: list[int], until: datetime) -> None:
    """Claimed for delivery: no other worker picks these rows until ``until`` (a crashed one's expire)."""
    if row_ids:
        connection(uow).execute(update(OUTBOX).where(OUTBOX.c.id.in_(row_ids)).values(next_attempt_at=until))


def mark_delivered(uow: UnitOfWork, row_id: int, now: datetime) -> None:
    connection(uow).execute(update(OUTBOX).where(OUTBOX.c.id == row_id).values(
        status="delivered", delivered_at=now, attempts=OUTBOX.c.attempts + 1, last_error=""))


def mark_failed_attempt(uow: UnitOfWork, row_id: int, error: str, next_at: datetime, give_up: bool) -> None:
    connection(uow).execute(update(OUTBOX).where(OUTBOX.c.id == row_id).values(
        status="failed" if give_up else "pending", attempts=OUTBOX.c.attempts + 1, last_error=error[:1000],
        next_attempt_at=next_at))


def outbox_counts(uow: UnitOfWork) -> dict[str, int]:
    query = select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status)
    return {str(status): int(count) for status, count in connection(uow).execute(query)}


def failed_deliveries(uow: UnitOfWork, limit: int = 50) -> list[OutboxRow]:
    query = select(OUTBOX).where(OUTBOX.c.status == "failed").order_by(OUTBOX.c.id.desc()).limit(limit)
    return [OutboxRow(**dict(r)) for r in connection(uow).execute(query).mappings()]


def pending_calls_of_case(uow: UnitOfWork, case_id: int) -> list[OutboxRow]:
    """The service-task requests a case still waits on (not yet answered, not given up)."""
    query = select(OUTBOX).where(OUTBOX.c.case_id == case_id, OUTBOX.c.event_type == SERVICE_CALL,
                                 OUTBOX.c.status == "pending").order_by(OUTBOX.c.id)
    return [OutboxRow(**dict(r)) for r in connection(uow).execute(query).mappings()]


def cancel_calls(uow: UnitOfWork, case_id: int, keep: set[str]) -> None:
    """Service-task requests of the case nothing waits for any more (terminated, moved) are not sent."""
    query = update(OUTBOX).where(OUTBOX.c.case_id == case_id, OUTBOX.c.event_type == SERVICE_CALL,
                                 OUTBOX.c.status == "pending")
    if keep:
        query = query.where(OUTBOX.c.delivery_id.not_in(keep))
    connection(uow).execute(query.values(status="cancelled"))
