"""The access policy (``engine.policy``) applied to stored cases: load the facts, decide, or answer 404.

Every page, API call and download that touches a case goes through ``visible_case``; lists are
filtered by the same rule in SQL (``repositories.cases.visible_cases``, fed by ``list_filter``).
The decision reads the case row and its worklist rows (two indexed queries), never the workflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.actors import Actor
from engine.errors import CaseNotFound
from engine.persistence.repositories.cases import case_by_id
from engine.persistence.repositories.tasks import tasks_of_case
from engine.persistence.repositories.uploads import UploadRow
from engine.persistence.rows import CaseRow
from engine.persistence.rows import TaskRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.policy import CaseAccess
from engine.policy import CaseParties
from engine.policy import TaskParties
from engine.policy import case_access
from engine.policy import department_groups
from engine.policy import sees_every_case


def parties_of(case: CaseRow) -> CaseParties:
    return CaseParties(owner_id=case.owner_id, started_by=case.started_by, draft=case.status == "draft")


def task_parties(row: TaskRow) -> TaskParties:
    return TaskParties(task_uuid=row.task_uuid, groups=row.groups, assignee=row.assignee,
                       completed_by=row.completed_by, state=row.state)


@dataclass(frozen=True)
class VisibleCase:
    """A case the actor may see, with the facts the decision used (reused by the projection)."""

    case: CaseRow
    #: Every worklist row of the case, open and done, oldest first.
    tasks: tuple[TaskRow, ...]
    access: CaseAccess

    @property
    def open_tasks(self) -> tuple[TaskRow, ...]:
        return tuple(row for row in self.tasks if row.state == "open")

    @property
    def parties_by_task(self) -> Mapping[str, TaskParties]:
        return {row.task_uuid: task_parties(row) for row in self.tasks}

    def open_task(self, task_uuid: str) -> TaskRow | None:
        return next((row for row in self.open_tasks if row.task_uuid == task_uuid), None)


def visible_case(uow: UnitOfWork, case_id: int, actor: Actor, *, with_state: bool = False) -> VisibleCase:
    """The case with the actor's access to it.

    :raise CaseNotFound: no such case, or not the actor's to see: the same answer, so ids cannot be probed.
    """
    case = case_by_id(uow, case_id, with_state=with_state)
    if case is None:
        raise CaseNotFound(case_id)
    rows = tuple(tasks_of_case(uow, case.id))
    access = case_access(actor, parties_of(case), (task_parties(row) for row in rows))
    if access is None:
        raise CaseNotFound(case_id)
    return VisibleCase(case, rows, access)


def may_download(uow: UnitOfWork, upload: UploadRow, actor: Actor) -> bool:
    """A stored file: its uploader's, and on a case the policy's ``may_download`` for those who see the case."""
    if upload.uploaded_by == actor.user_id:
        return True
    if upload.case_id is None:
        return False
    try:
        seen = visible_case(uow, upload.case_id, actor)
    except CaseNotFound:
        return False
    return seen.access.may_download(upload.uploaded_by)


@dataclass(frozen=True)
class ListFilter:
    """The same rule as ``case_access``, in the form the SQL list filter takes."""

    user_id: str
    groups: frozenset[str]
    see_all: bool


def list_filter(actor: Actor) -> ListFilter:
    return ListFilter(actor.user_id, department_groups(actor), sees_every_case(actor))
