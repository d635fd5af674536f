"""Who may see which case: applicants their own, departments their own work, window and audit all.

Every page and API call that shows a case goes through ``can_view_case``; lists are filtered by
the same rule in SQL (``repositories.visible_cases``).
"""

from __future__ import annotations

from engine.actors import Actor
from engine.persistence import repositories as repo
from engine.persistence.records import CaseRecord

#: Groups that see every case: the window accepts any matter, auditors and administrators see all.
ALL_CASES_GROUPS = frozenset({"window_clerk", "fallback_clerk", "supervisor", "window_supervisor", "auditor",
                              "admin"})
STAFF_EXCLUDED = frozenset({"applicant", "designer"})


def staff_groups(actor: Actor) -> frozenset[str]:
    return actor.groups - STAFF_EXCLUDED


def can_view_case(session: repo.Session, case: CaseRecord, actor: Actor) -> bool:
    if actor.user_id in (case.owner_id, case.started_by):
        return True
    if actor.in_any(ALL_CASES_GROUPS):
        return True
    groups = staff_groups(actor)
    return bool(groups) and repo.case_has_task_for(session, case.id, groups, actor.user_id)
