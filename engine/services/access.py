"""Who may see which case: applicants their own, departments their own work, window and audit all.

Every page and API call that shows a case goes through ``can_view_case``; lists are filtered by
the same rule in SQL (``repositories.cases.visible_cases``). The decision reads the case row and
its worklist rows only, never the workflow.
"""

from __future__ import annotations

from engine.actors import Actor
from engine.persistence.repositories.tasks import case_has_task_for
from engine.persistence.rows import CaseRow
from engine.persistence.unit_of_work import UnitOfWork

#: Groups that see every case: the window accepts any matter, auditors and administrators see all.
ALL_CASES_GROUPS = frozenset({"window_clerk", "fallback_clerk", "supervisor", "window_supervisor", "auditor",
                              "admin"})
STAFF_EXCLUDED = frozenset({"applicant", "designer"})


def staff_groups(actor: Actor) -> frozenset[str]:
    return actor.groups - STAFF_EXCLUDED


def can_view_case(uow: UnitOfWork, case: CaseRow, actor: Actor) -> bool:
    if actor.user_id in (case.owner_id, case.started_by):
        return True
    if actor.in_any(ALL_CASES_GROUPS):
        return True
    groups = staff_groups(actor)
    return bool(groups) and case_has_task_for(uow, case.id, groups, actor.user_id)
