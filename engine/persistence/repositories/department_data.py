"""Data departments already hold (looked up instead of asking applicants), and 失信 credit entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from engine.persistence.records import CreditRecordRecord
from engine.persistence.records import DepartmentRecord
from engine.persistence.sql import connection
from engine.persistence.sql import stage_insert

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

DEPARTMENT = DepartmentRecord.__table__
CREDIT = CreditRecordRecord.__table__


@dataclass(frozen=True, slots=True)
class DepartmentRow:
    department: str
    kind: str
    record_key: str
    status: str
    data_json: str
    updated_at: datetime


def department_record(uow: UnitOfWork, kind: str, key: str) -> DepartmentRow | None:
    query = (select(DEPARTMENT.c.department, DEPARTMENT.c.kind, DEPARTMENT.c.record_key, DEPARTMENT.c.status,
                    DEPARTMENT.c.data_json, DEPARTMENT.c.updated_at)
             .where(DEPARTMENT.c.kind == kind, DEPARTMENT.c.record_key == key))
    found = connection(uow).execute(query).mappings().first()
    return DepartmentRow(**found) if found is not None else None


def upsert_department_record(uow: UnitOfWork, department: str, kind: str, key: str, status: str, data_json: str,
                             now: datetime) -> None:
    conn = connection(uow)
    result = conn.execute(update(DEPARTMENT).where(DEPARTMENT.c.kind == kind, DEPARTMENT.c.record_key == key)
                          .values(status=status, data_json=data_json, updated_at=now))
    if result.rowcount == 0:
        conn.execute(insert(DEPARTMENT).values(department=department, kind=kind, record_key=key, status=status,
                                               data_json=data_json, updated_at=now))


def active_credit_violations(uow: UnitOfWork, credit_code: str) -> int:
    """How many unrepaired 失信 entries the code has."""
    query = select(func.count(CREDIT.c.id)).where(CREDIT.c.credit_code == credit_code, CREDIT.c.is_repaired.is_(False))
    return int(connection(uow).execute(query).scalar() or 0)


def stage_credit_record(uow: UnitOfWork, credit_code: str, case_number: str, reason: str, now: datetime) -> None:
    """A 失信 entry, inserted when the unit of work commits (with the step that found the violation)."""
    stage_insert(uow, CREDIT, {"credit_code": credit_code, "case_number": case_number, "reason": reason,
                               "recorded_at": now, "is_repaired": False})
