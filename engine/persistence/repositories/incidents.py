"""Incidents: insert one with the step that failed, list them for the console, close them.

Plain SQLAlchemy Core, like the other repositories. An incident is written in the same transaction
as the case state it describes, so a case marked 异常 always has the incident that explains it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from engine.persistence.operations_records import IncidentRecord
from engine.persistence.records import CaseRecord
from engine.persistence.sql import connection

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

INCIDENTS = IncidentRecord.__table__
CASES = CaseRecord.__table__


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: int
    case_id: int
    kind: str
    element_id: str
    element_name: str
    task_uuid: str
    message: str
    detail: str
    data_json: str
    submitted_json: str
    submitted_by: str
    status: str
    attempts: int
    raised_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None


@dataclass(frozen=True, slots=True)
class NewIncident:
    kind: str
    element_id: str
    element_name: str
    task_uuid: str
    message: str
    detail: str
    data_json: str
    submitted_json: str = "{}"
    submitted_by: str = ""


def _row(values: Mapping[str, Any]) -> IncidentRow:
    return IncidentRow(**{column.name: values[column.name] for column in INCIDENTS.c})


def insert_incident(uow: UnitOfWork, case_id: int, new: NewIncident, now: datetime) -> int:
    values = {"case_id": case_id, "kind": new.kind, "element_id": new.element_id,
              "element_name": new.element_name, "task_uuid": new.task_uuid, "message": new.message,
              "detail": new.detail, "data_json": new.data_json, "submitted_json": new.submitted_json,
              "submitted_by": new.submitted_by, "status": "open", "attempts": 1, "raised_at": now,
              "resolved_at": None, "resolved_by": None}
    result = connection(uow).execute(insert(INCIDENTS).values(**values))
    return int(result.inserted_primary_key[0])


def incident_by_id(uow: UnitOfWork, incident_id: int) -> IncidentRow | None:
    found = connection(uow).execute(select(INCIDENTS).where(INCIDENTS.c.id == incident_id)).mappings().first()
    return _row(found) if found is not None else None


def open_incidents_of_case(uow: UnitOfWork, case_id: int) -> list[IncidentRow]:
    query = select(INCIDENTS).where(INCIDENTS.c.case_id == case_id, INCIDENTS.c.status == "open") \
        .order_by(INCIDENTS.c.id)
    return [_row(r) for r in connection(uow).execute(query).mappings()]


def incidents_of_case(uow: UnitOfWork, case_id: int) -> list[IncidentRow]:
    query = select(INCIDENTS).where(INCIDENTS.c.case_id == case_id).order_by(INCIDENTS.c.id)
    return [_row(r) for r in connection(uow).execute(query).mappings()]


def open_incident_counts(uow: UnitOfWork, case_ids: list[int]) -> dict[int, int]:
    """Open incidents per case for a page of cases, in one query."""
    if not case_ids:
        return {}
    query = select(INCIDENTS.c.case_id, func.count()).where(
        INCIDENTS.c.case_id.in_(case_ids), INCIDENTS.c.status == "open").group_by(INCIDENTS.c.case_id)
    return {int(case_id): int(count) for case_id, count in connection(uow).execute(query)}


def list_incidents(uow: UnitOfWork, *, status: str | None = "open", matter_code: str | None = None,
                   limit: int = 200) -> list[tuple[IncidentRow, str, str]]:
    """Incidents with their case's number and matter, newest first."""
    query = select(INCIDENTS, CASES.c.case_number, CASES.c.matter_code).join(CASES, CASES.c.id == INCIDENTS.c.case_id)
    if status:
        query = query.where(INCIDENTS.c.status == status)
    if matter_code:
        query = query.where(CASES.c.matter_code == matter_code)
    query = query.order_by(INCIDENTS.c.id.desc()).limit(limit)
    return [(_row(r), r["case_number"], r["matter_code"]) for r in connection(uow).execute(query).mappings()]


def retry_failed(uow: UnitOfWork, incident_id: int, message: str, detail: str, data_json: str) -> None:
    """A retry failed again: the incident stays open with the new error and one more attempt."""
    connection(uow).execute(update(INCIDENTS).where(INCIDENTS.c.id == incident_id).values(
        message=message, detail=detail, data_json=data_json, attempts=INCIDENTS.c.attempts + 1))


def close_incident(uow: UnitOfWork, incident_id: int, status: str, actor_id: str, now: datetime) -> None:
    connection(uow).execute(update(INCIDENTS).where(INCIDENTS.c.id == incident_id).values(
        status=status, resolved_at=now, resolved_by=actor_id))


def close_open_incidents(uow: UnitOfWork, case_id: int, status: str, actor_id: str, now: datetime) -> int:
    result = connection(uow).execute(update(INCIDENTS).where(
        INCIDENTS.c.case_id == case_id, INCIDENTS.c.status == "open").values(
        status=status, resolved_at=now, resolved_by=actor_id))
    return int(result.rowcount or 0)


def console_cases(uow: UnitOfWork, *, matter_codes: list[str] | None = None, status: str | None = None,
                  with_open_incident: bool = False, received_before: datetime | None = None,
                  limit: int = 200) -> list[int]:
    """Ids of cases matching the console's search, oldest received first."""
    query = select(CASES.c.id)
    if matter_codes is not None:
        query = query.where(CASES.c.matter_code.in_(matter_codes))
    if status:
        query = query.where(CASES.c.status == status)
    if received_before is not None:
        query = query.where(CASES.c.received_at < received_before)
    if with_open_incident:
        query = query.where(CASES.c.id.in_(select(INCIDENTS.c.case_id).where(INCIDENTS.c.status == "open")))
    query = query.order_by(CASES.c.received_at, CASES.c.id).limit(limit)
    return [int(row[0]) for row in connection(uow).execute(query)]
