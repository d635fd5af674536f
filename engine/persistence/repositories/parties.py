"""The walk-in applicant of a case (``case_applicants``): recorded once at filing, read by the 查询码 look-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import insert
from sqlalchemy import select

from engine.persistence.party_records import CaseApplicantRecord
from engine.persistence.sql import connection

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

APPLICANTS = CaseApplicantRecord.__table__


@dataclass(frozen=True, slots=True)
class ApplicantRow:
    id: int
    case_id: int
    party_id: str
    name: str
    id_type: str
    id_number: str
    mobile: str
    query_code: str
    recorded_by: str
    recorded_at: datetime


def insert_applicant(uow: UnitOfWork, *, case_id: int, party_id: str, name: str, id_type: str, id_number: str,
                     mobile: str, query_code: str, recorded_by: str, now: datetime) -> ApplicantRow:
    values = {"case_id": case_id, "party_id": party_id, "name": name, "id_type": id_type, "id_number": id_number,
              "mobile": mobile, "query_code": query_code, "recorded_by": recorded_by, "recorded_at": now}
    result = connection(uow).execute(insert(APPLICANTS).values(**values))
    return ApplicantRow(id=int(result.inserted_primary_key[0]), **values)


def _one(uow: UnitOfWork, query: object) -> ApplicantRow | None:
    found = connection(uow).execute(query).mappings().first()  # type: ignore[call-overload]
    return ApplicantRow(**found) if found is not None else None


def applicant_of_case(uow: UnitOfWork, case_id: int) -> ApplicantRow | None:
    return _one(uow, select(*APPLICANTS.c).where(APPLICANTS.c.case_id == case_id))


def applicant_by_query_code(uow: UnitOfWork, query_code: str) -> ApplicantRow | None:
    return _one(uow, select(*APPLICANTS.c).where(APPLICANTS.c.query_code == query_code))
