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
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from engine.persistence.records import CaseRecord
from engine.persistence.records import HumanTaskRecord
from engine.persistence.rows import CaseRow
from engine.persistence.rows import TaskRow
from engine.persistence.sql import LIKE_ESCAPE
from engine.persistence.sql import connection
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


def _row(values: Mapping[str, Any]) -> TaskRow:
    return TaskRow(**{column.name: values[column.name] for column in _TASK_COLUMNS})


def _rows(uow: UnitOfWork, query: Any) -> list[TaskRow]:
    return [_row(values) for values in connection(uow).execute(query).mappings()]


def open_tasks(uow: UnitOfWork, case_id: int) -> list[TaskRow]:
    """The case's open worklist rows, in the order they were opened."""
    return _rows(uow, select(*_TASK_COLUMNS).where(TASKS.c.case_id == case_id, TASKS.c.state == "open")
                 .order_by(TASKS.c.id))


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
             limit: int = 200) -> list[tuple[TaskRow, CaseRow]]:
    """Open tasks the user may work, oldest first: assigned to them, or unclaimed in one of their groups.

    Applicant tasks are personal: they show only on cases the user owns or filed (see ``may_work``).
    Drafts are not cases: their application form is reached from 我的办件 / the case list, not a queue.
    """
    group_match = [TASKS.c.candidate_groups.like(group_pattern(group), escape=LIKE_ESCAPE)
                   for group in groups if group != "applicant"]
    if "applicant" in groups:
        group_match.append(TASKS.c.candidate_groups.like(group_pattern("applicant"), escape=LIKE_ESCAPE)
                           & or_(CASES.c.owner_id == user_id, CASES.c.started_by == user_id))
    visible = or_(TASKS.c.assignee == user_id,
                  (TASKS.c.assignee.is_(None) & or_(*group_match)) if group_match else False)
    query = (select(*_TASK_COLUMNS, *_CASE_COLUMNS).join(CASES, CASES.c.id == TASKS.c.case_id)
             .where(TASKS.c.state == "open", CASES.c.status != "draft", visible)
             .order_by(TASKS.c.created_at, TASKS.c.id).limit(limit))
    if matter_code:
        query = query.where(CASES.c.matter_code == matter_code)
    split = len(_TASK_COLUMNS)
    pairs = []
    for row in connection(uow).execute(query):
        pairs.append((TaskRow(**dict(zip(_TASK_NAMES, row[:split], strict=True))),
                      CaseRow(**dict(zip(_CASE_NAMES, row[split:], strict=True)))))
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
    result = connection(uow).execute(insert(TASKS).returning(TASKS.c.id, sort_by_parameter_order=True), values)
    return [TaskRow(id=int(row_id), **row) for row_id, row in zip(result.scalars(), values, strict=True)]


def close_tasks(uow: UnitOfWork, rows: Sequence[TaskRow]) -> None:
    """Write the new state, completion time and completer of rows a step closed (one executemany)."""
    if not rows:
        return
    statement = (update(TASKS).where(TASKS.c.id == bindparam("row_id"))
                 .values(state=bindparam("new_state"), completed_at=bindparam("done_at"),
                         completed_by=bindparam("done_by")))
    connection(uow).execute(statement, [{"row_id": row.id, "new_state": row.state, "done_at": row.completed_at,
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
