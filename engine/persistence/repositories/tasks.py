"""Worklist rows: what a step opens and closes, what a person's worklist shows, claims and hand-overs.

Writes are batched: a step that closes three tasks and opens two sends one ``UPDATE`` (executemany)
and one multi-row ``INSERT … RETURNING``, whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import exists
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from engine.persistence.records import CaseRecord
from engine.persistence.records import HumanTaskRecord
from engine.persistence.repositories.counters import buckets
from engine.persistence.rows import CaseRow
from engine.persistence.rows import TaskRow
from engine.persistence.sql import LIKE_ESCAPE
from engine.persistence.sql import connection
from engine.persistence.sql import contains_pattern
from engine.persistence.sql import group_pattern
from engine.persistence.sql import id_batches

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

TASKS = HumanTaskRecord.__table__
CASES = CaseRecord.__table__
_TASK_COLUMNS = tuple(TASKS.c)
_CASE_COLUMNS = tuple(column for column in CASES.c if column.name != "state")
_TASK_NAMES = tuple(column.name for column in _TASK_COLUMNS)
_CASE_NAMES = tuple(column.name for column in _CASE_COLUMNS)


@dataclass(frozen=True, slots=True)
class NewTask:
    """A user task that just became READY, to be opened as a worklist row."""

    task_uuid: str
    element_id: str
    name: str
    lane: str
    candidate_groups: tuple[str, ...]
    assignee: str | None
    form_key: str
    due_at: datetime | None


# Statements every step sends, built once (see repositories.cases).
_OPEN = (select(*_TASK_COLUMNS).where(TASKS.c.case_id == bindparam("case_id_"), TASKS.c.state == "open")
         .order_by(TASKS.c.id))
_INSERT = insert(TASKS).returning(TASKS.c.id, sort_by_parameter_order=True)
_CLOSE = (update(TASKS).where(TASKS.c.id == bindparam("row_id"))
          .values(state=bindparam("new_state"), completed_at=bindparam("done_at"), completed_by=bindparam("done_by")))


def _row(values: Mapping[str, Any]) -> TaskRow:
    return TaskRow(**{column.name: values[column.name] for column in _TASK_COLUMNS})


def _rows(uow: UnitOfWork, query: Any) -> list[TaskRow]:
    return [_row(values) for values in connection(uow).execute(query).mappings()]


def open_tasks(uow: UnitOfWork, case_id: int) -> list[TaskRow]:
    """The case's open worklist rows, in the order they were opened."""
    return [_row(values) for values in connection(uow).execute(_OPEN, {"case_id_": case_id}).mappings()]


def tasks_of_case(uow: UnitOfWork, case_id: int) -> list[TaskRow]:
    """Every worklist row of the case, open and done, in the order they were opened (the access policy's facts)."""
    return _rows(uow, select(*_TASK_COLUMNS).where(TASKS.c.case_id == case_id).order_by(TASKS.c.id))


def open_tasks_of_cases(uow: UnitOfWork, case_ids: Iterable[int]) -> dict[int, list[TaskRow]]:
    """Open rows of many cases in one query (lists show each case's current steps)."""
    found: dict[int, list[TaskRow]] = {case_id: [] for case_id in case_ids}
    for ids in id_batches(found):
        for row in _rows(uow, select(*_TASK_COLUMNS).where(TASKS.c.case_id.in_(ids), TASKS.c.state == "open")
                         .order_by(TASKS.c.id)):
            found[row.case_id].append(row)
    return found


def task_row(uow: UnitOfWork, case_id: int, task_uuid: str) -> TaskRow | None:
    found = _rows(uow, select(*_TASK_COLUMNS).where(TASKS.c.case_id == case_id, TASKS.c.task_uuid == task_uuid))
    return found[0] if found else None


def worklist(uow: UnitOfWork, groups: Sequence[str], user_id: str, *, matter_code: str | None = None,
             limit: int = 200, after: tuple[datetime, int] | None = None,
             search: str = "") -> list[tuple[TaskRow, CaseRow]]:
    """Open tasks the user may work, oldest first: assigned to them, or unclaimed in one of their groups.

    Applicant tasks are personal: they show only on cases the user owns or filed (see ``may_work``).

    :param after: (created_at, id) of the last row of the previous page (keyset paging: a later page
        costs what the first does, however many tasks lie before it).
    :param search: only tasks whose step name or case number contains it, literally.

    Drafts are not cases: their application form is reached from 我的办件 / the case list, not a queue.
    """
    group_match = [TASKS.c.candidate_groups.like(group_pattern(group), escape=LIKE_ESCAPE)
                   for group in groups if group != "applicant"]
    if "applicant" in groups:
        # Correlated on the task's case (a primary-key probe per candidate row, never a scan of cases).
        own = exists().where(CASES.c.id == TASKS.c.case_id,
                             or_(CASES.c.owner_id == user_id, CASES.c.started_by == user_id))
        group_match.append(TASKS.c.candidate_groups.like(group_pattern("applicant"), escape=LIKE_ESCAPE) & own)
    visible = or_(TASKS.c.assignee == user_id,
                  (TASKS.c.assignee.is_(None) & or_(*group_match)) if group_match else False)
    # The page's rows first (open rows oldest first), then their cases by primary key in a second
    # statement: joined before the limit, the planner would hash every case (or task) of the hall.
    draft = exists().where(CASES.c.id == TASKS.c.case_id, CASES.c.status == "draft")  # a primary-key probe
    query = select(*_TASK_COLUMNS).where(TASKS.c.state == "open", visible, ~draft)
    if matter_code:
        query = query.where(TASKS.c.case_id.in_(select(CASES.c.id).where(CASES.c.matter_code == matter_code)))
    if after is not None:
        query = query.where(or_(TASKS.c.created_at > after[0],
                                (TASKS.c.created_at == after[0]) & (TASKS.c.id > after[1])))
    if search.strip():
        pattern = contains_pattern(search.strip())
        numbered = select(CASES.c.id).where(CASES.c.case_number.like(pattern, escape=LIKE_ESCAPE))
        query = query.where(or_(TASKS.c.name.like(pattern, escape=LIKE_ESCAPE), TASKS.c.case_id.in_(numbered)))
    rows = _rows(uow, query.order_by(TASKS.c.created_at, TASKS.c.id).limit(limit))
    cases: dict[int, CaseRow] = {}
    for ids in id_batches(row.case_id for row in rows):
        for values in connection(uow).execute(select(*_CASE_COLUMNS).where(CASES.c.id.in_(ids))):
            case = CaseRow(**dict(zip(_CASE_NAMES, values, strict=True)))
            case.counted = buckets(case)
            cases[case.id] = case
    pairs = [(row, cases[row.case_id]) for row in rows]
    return pairs


def insert_tasks(uow: UnitOfWork, case_id: int, new: Sequence[NewTask], now: datetime) -> list[TaskRow]:
    """Open worklist rows for tasks that became READY (one statement for all of them)."""
    if not new:
        return []
    values = [{"case_id": case_id, "task_uuid": task.task_uuid, "element_id": task.element_id, "name": task.name,
               "lane": task.lane, "candidate_groups": "," + ",".join(task.candidate_groups) + ",",
               "assignee": task.assignee, "form_key": task.form_key, "state": "open", "created_at": now,
               "due_at": task.due_at, "claimed_at": None, "completed_at": None, "completed_by": None}
              for task in new]
    result = connection(uow).execute(_INSERT, values)
    return [TaskRow(id=int(row_id), **row) for row_id, row in zip(result.scalars(), values, strict=True)]


def close_tasks(uow: UnitOfWork, rows: Sequence[TaskRow]) -> None:
    """Write the new state, completion time and completer of rows a step closed (one executemany)."""
    if not rows:
        return
    connection(uow).execute(_CLOSE, [{"row_id": row.id, "new_state": row.state, "done_at": row.completed_at,
                                         "done_by": row.completed_by} for row in rows])


def claim_row(uow: UnitOfWork, row: TaskRow, user_id: str, now: datetime) -> bool:
    """Set the assignee only if nobody holds the task: the first of two racing claims wins."""
    result = connection(uow).execute(update(TASKS)
                                     .where(TASKS.c.id == row.id, TASKS.c.state == "open", TASKS.c.assignee.is_(None))
                                     .values(assignee=user_id, claimed_at=now))
    if result.rowcount != 1:
        return False
    row.assignee, row.claimed_at = user_id, now
    return True


def release_row(uow: UnitOfWork, row: TaskRow, user_id: str) -> bool:
    """Give the task back to its group queue if ``user_id`` holds it."""
    result = connection(uow).execute(update(TASKS)
                                     .where(TASKS.c.id == row.id, TASKS.c.state == "open",
                                            TASKS.c.assignee == user_id)
                                     .values(assignee=None, claimed_at=None))
    if result.rowcount != 1:
        return False
    row.assignee, row.claimed_at = None, None
    return True


def assign_row(uow: UnitOfWork, row: TaskRow, user_id: str, now: datetime) -> None:
    """Hand an open task to ``user_id`` whoever held it (转办; the caller checked who may)."""
    connection(uow).execute(update(TASKS).where(TASKS.c.id == row.id, TASKS.c.state == "open")
                            .values(assignee=user_id, claimed_at=now))
    row.assignee, row.claimed_at = user_id, now


def open_tasks_held_by(uow: UnitOfWork, user_id: str) -> list[TaskRow]:
    """Open tasks someone claimed or was given, oldest first (to hand back when they leave a post)."""
    return _rows(uow, select(*_TASK_COLUMNS).where(TASKS.c.state == "open", TASKS.c.assignee == user_id)
                 .order_by(TASKS.c.case_id, TASKS.c.id))


def reopen_rows(uow: UnitOfWork, case_id: int, task_uuids: Iterable[str], now: datetime) -> int:
    """Open closed rows again (a token move reset their tasks to READY, keeping the task ids)."""
    uuids = list(task_uuids)
    if not uuids:
        return 0
    result = connection(uow).execute(update(TASKS).where(
        TASKS.c.case_id == case_id, TASKS.c.task_uuid.in_(uuids), TASKS.c.state != "open").values(
        state="open", created_at=now, assignee=None, claimed_at=None, completed_at=None, completed_by=None))
    return int(result.rowcount or 0)
