"""The service (送达) of written decisions and notices: one row per served document.

A row is staged with its document (inserted when the step commits) and changed exactly once, from
``pending`` to ``served``, by a conditional ``UPDATE``: of two clerks recording the same delivery,
the second finds nothing pending and is told so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import and_
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from engine.persistence.records import CaseRecord
from engine.persistence.service_records import DocumentServiceRecord
from engine.persistence.sql import connection
from engine.persistence.sql import stage_insert

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

SERVICES = DocumentServiceRecord.__table__
CASES = CaseRecord.__table__


@dataclass(frozen=True, slots=True)
class ServiceRow:
    id: int
    case_id: int
    document_no: str
    doc_key: str
    permit: str
    kind: str
    channel: str
    issued_at: datetime
    warn_on: date | None
    due_on: date | None
    status: str
    served_at: datetime | None
    served_channel: str
    receiver_name: str
    receiver_id_number: str
    tracking_number: str
    recorded_by: str
    flagged: str


@dataclass(frozen=True, slots=True)
class PendingService:
    """A document still to be served, with its case (for the supervisor's list)."""

    service: ServiceRow
    case_number: str
    matter_code: str


def _row(values: Mapping[str, Any]) -> ServiceRow:
    return ServiceRow(**{column.name: values[column.name] for column in SERVICES.c})


def stage_service(uow: UnitOfWork, *, case_id: int, document_no: str, doc_key: str, permit: str, kind: str,
                  channel: str, issued_at: datetime, warn_on: date | None, due_on: date | None) -> None:
    """A pending service, inserted with its document when the unit of work commits."""
    stage_insert(uow, SERVICES, {"case_id": case_id, "document_no": document_no, "doc_key": doc_key,
                                 "permit": permit, "kind": kind, "channel": channel, "issued_at": issued_at,
                                 "warn_on": warn_on, "due_on": due_on, "status": "pending", "served_at": None,
                                 "served_channel": "", "receiver_name": "", "receiver_id_number": "",
                                 "tracking_number": "", "recorded_by": "", "flagged": ""})


def services_of_case(uow: UnitOfWork, case_id: int) -> list[ServiceRow]:
    query = select(*SERVICES.c).where(SERVICES.c.case_id == case_id).order_by(SERVICES.c.id)
    return [_row(values) for values in connection(uow).execute(query).mappings()]


def service_of_document(uow: UnitOfWork, document_no: str) -> ServiceRow | None:
    found = connection(uow).execute(select(*SERVICES.c).where(SERVICES.c.document_no == document_no)).mappings()
    first = found.first()
    return _row(first) if first else None


def mark_served(uow: UnitOfWork, service_id: int, *, served_at: datetime, served_channel: str, receiver_name: str,
                receiver_id_number: str, tracking_number: str, recorded_by: str) -> bool:
    """Record the delivery; False when the service was no longer pending (recorded meanwhile)."""
    result = connection(uow).execute(
        update(SERVICES).where(SERVICES.c.id == service_id, SERVICES.c.status == "pending").values(
            status="served", served_at=served_at, served_channel=served_channel, receiver_name=receiver_name,
            receiver_id_number=receiver_id_number, tracking_number=tracking_number, recorded_by=recorded_by))
    return result.rowcount == 1


def pending_services(uow: UnitOfWork, *, kind: str | None = None, warn_by: date | None = None) -> list[PendingService]:
    """Pending services (of ``kind``; with ``warn_by``, only those whose warning day is on or before it),
    oldest due first, with their case numbers."""
    query = (select(*SERVICES.c, CASES.c.case_number, CASES.c.matter_code)
             .join(CASES, CASES.c.id == SERVICES.c.case_id).where(SERVICES.c.status == "pending"))
    if kind is not None:
        query = query.where(SERVICES.c.kind == kind)
    if warn_by is not None:
        query = query.where(SERVICES.c.warn_on <= warn_by)
    query = query.order_by(SERVICES.c.due_on, SERVICES.c.id)
    return [PendingService(_row(values), values["case_number"], values["matter_code"])
            for values in connection(uow).execute(query).mappings()]


def services_to_flag(uow: UnitOfWork, today: date) -> list[PendingService]:
    """Pending certificates whose art. 44 flag for ``today`` is not in the history yet: the warning from
    the 7th working day, the overdue mark after the 10th (oldest due first)."""
    query = (select(*SERVICES.c, CASES.c.case_number, CASES.c.matter_code)
             .join(CASES, CASES.c.id == SERVICES.c.case_id)
             .where(SERVICES.c.status == "pending", SERVICES.c.kind == "certificate",
                    or_(and_(SERVICES.c.warn_on <= today, SERVICES.c.flagged == ""),
                        and_(SERVICES.c.due_on < today, SERVICES.c.flagged != "overdue")))
             .order_by(SERVICES.c.due_on, SERVICES.c.id))
    return [PendingService(_row(values), values["case_number"], values["matter_code"])
            for values in connection(uow).execute(query).mappings()]


def mark_flagged(uow: UnitOfWork, service_id: int, was: str, flag: str) -> bool:
    """Move the written flag from ``was`` to ``flag``; False when another worker (or a delivery) came first."""
    result = connection(uow).execute(
        update(SERVICES).where(SERVICES.c.id == service_id, SERVICES.c.status == "pending",
                               SERVICES.c.flagged == was).values(flagged=flag))
    return result.rowcount == 1
