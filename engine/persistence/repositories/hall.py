"""What the board (大屏) and the statistics page read besides the counters: a few grouped or bounded queries.

``hall_counters`` (moved by ``counters.count_case``) hold what follows from a case row; what does
not — which running cases wait at which window, which ones stand paused — is read
here with one statement each, grouped in SQL or limited to the cases that need judging today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlalchemy import select

from engine.persistence.counter_records import HallCounterRecord
from engine.persistence.records import CaseRecord
from engine.persistence.records import HumanTaskRecord
from engine.persistence.repositories.counters import _as_utc
from engine.persistence.sql import connection

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

HALL = HallCounterRecord.__table__
CASES = CaseRecord.__table__
TASKS = HumanTaskRecord.__table__


@dataclass(frozen=True, slots=True)
class HallCase:
    """A case (not a draft) as far as the hall's grouping needs it: its version and when it was received."""

    id: int
    definition_id: int
    received_at: datetime


def hall_counts(uow: UnitOfWork) -> dict[int, dict[str, dict[str, int]]]:
    """definition id → kind → key → count (one query; rows grow with versions, months and days)."""
    found: dict[int, dict[str, dict[str, int]]] = {}
    query = select(HALL.c.definition_id, HALL.c.kind, HALL.c.key, HALL.c.n).where(HALL.c.n != 0)
    for definition_id, kind, key, n in connection(uow).execute(query):
        found.setdefault(int(definition_id), {}).setdefault(kind, {})[key] = int(n)
    return found


def _hall_case(case_id: int, definition_id: int, received_at: datetime) -> HallCase:
    received = _as_utc(received_at)
    assert received is not None
    return HallCase(int(case_id), int(definition_id), received)


def paused_sent_cases(uow: UnitOfWork) -> list[HallCase]:
    """Running cases whose clock stands still (their due date moves daily, so it is judged when read)."""
    query = (select(CASES.c.id, CASES.c.definition_id, CASES.c.received_at)
             .where(CASES.c.deadline_paused.is_(True), CASES.c.status == "running")
             .order_by(CASES.c.id))
    return [_hall_case(*row) for row in connection(uow).execute(query)]


def open_task_groups(uow: UnitOfWork) -> list[tuple[str, tuple[str, ...], int]]:
    """(lane, candidate groups, how many) of the open tasks of running sent cases, grouped in SQL."""
    query = (select(TASKS.c.lane, TASKS.c.candidate_groups, func.count())
             .join(CASES, CASES.c.id == TASKS.c.case_id)
             .where(TASKS.c.state == "open", CASES.c.status == "running")
             .group_by(TASKS.c.lane, TASKS.c.candidate_groups))
    return [(lane or "", tuple(g for g in (groups or "").split(",") if g), int(n))
            for lane, groups, n in connection(uow).execute(query)]
