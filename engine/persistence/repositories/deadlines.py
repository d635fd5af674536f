"""Deadline records (one revision per change, the newest current) and extension requests.

A revision is staged like a history row and inserted when the step commits, so a step's first
write stays its case row's optimistic ``UPDATE``. Reads inside the same unit of work see the
revisions staged so far, so a document issued later in the step prints the record just written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from engine.legal_time import DeadlineRecord
from engine.persistence.records import CaseDeadlineRecord
from engine.persistence.records import CaseRecord
from engine.persistence.records import DeadlineRequestRecord
from engine.persistence.records import HistoryEventRecord
from engine.persistence.sql import connection
from engine.persistence.sql import id_batches
from engine.persistence.sql import stage_insert
from engine.persistence.sql import staged_rows

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

DEADLINES = CaseDeadlineRecord.__table__
REQUESTS = DeadlineRequestRecord.__table__
CASES = CaseRecord.__table__
HISTORY = HistoryEventRecord.__table__


@dataclass(frozen=True, slots=True)
class RevisionRow:
    """A stored revision: the record and the history row it was written with."""

    case_id: int
    seq: int
    record: DeadlineRecord


@dataclass(frozen=True, slots=True)
class RequestRow:
    id: int
    case_id: int
    permit: str
    days: int
    reason: str
    requested_by: str
    requested_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str


def stage_revision(uow: UnitOfWork, case_id: int, seq: int, record: DeadlineRecord, now: datetime) -> None:
    """Keep a new revision of ``record`` for the case, written with history row ``seq`` at commit."""
    stage_insert(uow, DEADLINES, {"case_id": case_id, "permit": record.permit, "seq": seq,
                                  "accepted_on": record.accepted_on, "statutory_due": record.statutory_due,
                                  "promised_due": record.promised_due, "closed_at": record.closed_at,
                                  "record_json": json.dumps(record.to_json(), ensure_ascii=False),
                                  "recorded_at": now})


def _current_query(case_ids: list[int]):  # type: ignore[no-untyped-def]
    newest = (select(func.max(DEADLINES.c.id)).where(DEADLINES.c.case_id.in_(case_ids))
              .group_by(DEADLINES.c.case_id, DEADLINES.c.permit))
    return (select(DEADLINES.c.case_id, DEADLINES.c.permit, DEADLINES.c.record_json)
            .where(DEADLINES.c.id.in_(newest)).order_by(DEADLINES.c.case_id, DEADLINES.c.permit))


def current_deadlines_of_cases(uow: UnitOfWork, case_ids: Iterable[int]) -> dict[int, dict[str, DeadlineRecord]]:
    """Each case's current records by permit ("" = the case), including revisions staged in this transaction."""
    found: dict[int, dict[str, DeadlineRecord]] = {case_id: {} for case_id in case_ids}
    for ids in id_batches(found):
        for row in connection(uow).execute(_current_query(ids)).mappings():
            found[row["case_id"]][row["permit"]] = DeadlineRecord.from_json(json.loads(row["record_json"]))
    for staged in staged_rows(uow, DEADLINES):
        if staged["case_id"] in found:
            found[staged["case_id"]][staged["permit"]] = DeadlineRecord.from_json(json.loads(staged["record_json"]))
    return found


def current_deadlines(uow: UnitOfWork, case_id: int) -> dict[str, DeadlineRecord]:
    return current_deadlines_of_cases(uow, [case_id])[case_id]


def revisions_of_case(uow: UnitOfWork, case_id: int) -> list[RevisionRow]:
    """Every revision of the case's records, in the order written (what an audit replays)."""
    query = (select(DEADLINES.c.case_id, DEADLINES.c.seq, DEADLINES.c.record_json)
             .where(DEADLINES.c.case_id == case_id).order_by(DEADLINES.c.id))
    return [RevisionRow(row["case_id"], row["seq"], DeadlineRecord.from_json(json.loads(row["record_json"])))
            for row in connection(uow).execute(query).mappings()]


def accepted_case_ids_without_record(uow: UnitOfWork) -> list[int]:
    """Cases whose history shows an acceptance (办理状态 3) but which have no deadline record yet."""
    recorded = select(DEADLINES.c.case_id)
    query = (select(HISTORY.c.case_id).where(HISTORY.c.event_type == "status_changed", HISTORY.c.to_state == "3",
                                             HISTORY.c.case_id.not_in(recorded))
             .distinct().order_by(HISTORY.c.case_id))
    return list(connection(uow).execute(query).scalars())


# -- extension requests --------------------------------------------------------------------------


def _request(values: dict) -> RequestRow:  # type: ignore[type-arg]
    return RequestRow(**{column.name: values[column.name] for column in REQUESTS.c})


def insert_request(uow: UnitOfWork, *, case_id: int, permit: str, days: int, reason: str, requested_by: str,
                   now: datetime) -> RequestRow:
    values = {"case_id": case_id, "permit": permit, "days": days, "reason": reason, "requested_by": requested_by,
              "requested_at": now, "status": "pending", "decided_by": None, "decided_at": None, "decision_note": ""}
    result = connection(uow).execute(insert(REQUESTS).values(**values))
    return RequestRow(id=int(result.inserted_primary_key[0]), **values)


def request_by_id(uow: UnitOfWork, request_id: int) -> RequestRow | None:
    found = connection(uow).execute(select(*REQUESTS.c).where(REQUESTS.c.id == request_id)).mappings().first()
    return _request(dict(found)) if found is not None else None


def requests_of_case(uow: UnitOfWork, case_id: int) -> list[RequestRow]:
    query = select(*REQUESTS.c).where(REQUESTS.c.case_id == case_id).order_by(REQUESTS.c.id)
    return [_request(dict(row)) for row in connection(uow).execute(query).mappings()]


def pending_requests(uow: UnitOfWork, limit: int = 200) -> list[RequestRow]:
    query = select(*REQUESTS.c).where(REQUESTS.c.status == "pending").order_by(REQUESTS.c.id).limit(limit)
    return [_request(dict(row)) for row in connection(uow).execute(query).mappings()]


def decide_request(uow: UnitOfWork, request: RequestRow, *, status: str, decided_by: str, note: str,
                   now: datetime) -> bool:
    """Close a pending request; False if someone decided it meanwhile (nothing changed then)."""
    result = connection(uow).execute(
        update(REQUESTS).where(REQUESTS.c.id == request.id, REQUESTS.c.status == "pending")
        .values(status=status, decided_by=decided_by, decided_at=now, decision_note=note))
    return result.rowcount == 1
