"""Access to a case, decided from its parties and its worklist rows only.

Who the actor is to the case (``Relation``) fixes what they see of it (``Audience``); whether they
may work a task is a question about that task's row. The facts come from two indexed reads (the
case row and its ``human_tasks`` rows), so deciding never restores a workflow, and the list filter
in SQL (``repositories.visible_cases``) states the same rule.

The relations, strongest first:

=================  ====================================================================  ==========
relation           who                                                                   audience
=================  ====================================================================  ==========
administrator      group ``admin``: every case                                           staff
auditor            group ``auditor``: every case (read only; the audit pages add the      staff
                   hash chain and replays)
supervisor         ``supervisor`` / ``window_supervisor``: every case                     staff
window             ``window_clerk``: the one window accepts any matter                   staff
fallback_window    ``fallback_clerk`` (兜底窗口): every case                              staff
department         a reviewer whose groups were offered a task of the case (open or      staff
                   done), or who claimed or completed one
applicant          the case's owner                                                       applicant
filing_clerk       who filed the case for the applicant (代办) and is no longer window   applicant
                   staff
query_code         the walk-in applicant (窗口代录, no account) who showed the case's 查询码     applicant
                   and their ID number or mobile: the case's owner
=================  ====================================================================  ==========

A draft (not yet submitted) has only its applicant and its filer; a reviewer of another department,
a designer and anyone else has no relation: the case answers
"not found", exactly like a case that does not exist, so case ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from engine.actors import APPLICANT_GROUP
from engine.actors import Actor
from engine.actors import may_work
from engine.policy.parties import is_walk_in

#: Groups that are not department staff: their members see cases only as applicants (or not at all).
NOT_STAFF_GROUPS = frozenset({APPLICANT_GROUP, "designer"})

#: Each group that sees every case, with the relation it gives, strongest first.
EVERY_CASE_GROUPS: tuple[tuple[str, str], ...] = (
    ("admin", "administrator"), ("auditor", "auditor"), ("supervisor", "supervisor"),
    ("window_supervisor", "supervisor"), ("window_clerk", "window"), ("fallback_clerk", "fallback_window"),
)


#: Who may use the audit tools (replay, chain verification, exports): the groups whose every-case
#: relation is administrator or auditor. Both the audit pages' route guard and the audit service read it.
AUDIT_GROUPS: tuple[str, ...] = tuple(group for group, relation in EVERY_CASE_GROUPS
                                      if relation in ("administrator", "auditor"))


class Audience(StrEnum):
    """Which projection of a case a viewer gets (``engine.policy.projection``)."""

    #: The applicant's own submissions, the documents served on them, status, deadlines, their own tasks.
    APPLICANT = "applicant"
    #: Everything: every department's opinions and working data, every open task, the full history.
    STAFF = "staff"


class Relation(StrEnum):
    """Why an actor may see a case; the strongest reason wins (the order of this enum)."""

    ADMINISTRATOR = "administrator"
    AUDITOR = "auditor"
    SUPERVISOR = "supervisor"
    WINDOW = "window"
    FALLBACK_WINDOW = "fallback_window"
    DEPARTMENT = "department"
    APPLICANT = "applicant"
    FILING_CLERK = "filing_clerk"
    #: A walk-in applicant without an account who showed the case's 查询码 and their ID number or mobile
    #: (``services.parties.open_with_query_code``): the case's owner (``walkin:…``), so they get the
    #: applicant's projection and work their own tasks (补正, 好差评), exactly like an applicant online.
    QUERY_CODE = "query_code"

    @property
    def audience(self) -> Audience:
        return Audience.APPLICANT if self in _APPLICANT_SIDE else Audience.STAFF


_APPLICANT_SIDE = frozenset({Relation.APPLICANT, Relation.FILING_CLERK, Relation.QUERY_CODE})


@dataclass(frozen=True)
class CaseParties:
    """The people a case belongs to: its applicant and whoever filed it (the same person online)."""

    owner_id: str | None
    started_by: str
    #: Not yet submitted (在线申报 or 窗口代录 in progress): private to the two above, nobody else's case.
    draft: bool = False

    @property
    def applicant_ids(self) -> tuple[str | None, ...]:
        """Who works the case's applicant tasks: the applicant, or the clerk who filed for them (代办)."""
        return (self.owner_id, self.started_by)


@dataclass(frozen=True)
class TaskParties:
    """What the policy needs of one worklist row (open, completed or cancelled)."""

    task_uuid: str
    groups: tuple[str, ...]
    assignee: str | None
    completed_by: str | None
    state: str  # open / completed / cancelled

    @property
    def is_applicant_task(self) -> bool:
        """Offered to the applicant group: the applicant's own step (申请, 补正, 评价)."""
        return APPLICANT_GROUP in self.groups


#: Who may file an application for a registered applicant (代办) or for a walk-in (窗口代录): the window.
FILING_GROUPS = frozenset({"window_clerk"})


def may_file_for_others(actor: Actor) -> bool:
    return actor.in_any(FILING_GROUPS)


def sees_every_case(actor: Actor) -> bool:
    return any(group in actor.groups for group, _relation in EVERY_CASE_GROUPS)


def department_groups(actor: Actor) -> frozenset[str]:
    """The actor's staff groups, the ones a department's task can be offered to."""
    return actor.groups - NOT_STAFF_GROUPS


@dataclass(frozen=True)
class CaseAccess:
    """An actor's standing on one case: what they see of it, and which tasks they may work."""

    actor: Actor
    relation: Relation
    parties: CaseParties

    @property
    def audience(self) -> Audience:
        return self.relation.audience

    @property
    def is_staff(self) -> bool:
        return self.audience is Audience.STAFF

    def sees_task(self, task: TaskParties) -> bool:
        """Staff see every step; the applicant side sees its own steps only (the rest as 当前环节)."""
        return self.is_staff or task.is_applicant_task

    def sees_submission(self, task: TaskParties | None) -> bool:
        """A submitted form: staff read every department's opinion, the applicant side only its own forms.

        ``task`` is the worklist row the form was submitted on (None if unknown: staff only).
        """
        return self.is_staff or (task is not None and task.is_applicant_task)

    def may_work(self, task: TaskParties) -> bool:
        """May open and submit the task now: it is open, unclaimed or theirs, and offered to them."""
        if task.state != "open" or task.assignee not in (None, self.actor.user_id):
            return False
        return may_work(task.groups, self.actor, self.parties.applicant_ids)

    def may_download(self, uploaded_by: str) -> bool:
        """A file attached to the case: staff every file, the applicant side the files it uploaded itself.

        Files a department uploads in its own forms (inspection photos, working papers) are internal;
        what the applicant is meant to receive reaches them as documents (文书).
        """
        return self.is_staff or uploaded_by in (*self.parties.applicant_ids, self.actor.user_id)


def case_access(actor: Actor, parties: CaseParties, tasks: Iterable[TaskParties]) -> CaseAccess | None:
    """The actor's access to a case from its parties and worklist rows; None: the case is not theirs to see.

    A draft is nobody's case but its applicant's and its filer's: not even an administrator sees it.
    """
    if parties.draft and actor.user_id not in (parties.owner_id, parties.started_by):
        return None
    for group, relation in EVERY_CASE_GROUPS:
        if group in actor.groups:
            return CaseAccess(actor, Relation(relation), parties)
    staff = department_groups(actor)
    if staff and any(actor.user_id in (task.assignee, task.completed_by) or not staff.isdisjoint(task.groups)
                     for task in tasks):
        return CaseAccess(actor, Relation.DEPARTMENT, parties)
    if actor.user_id and actor.user_id == parties.owner_id:
        return CaseAccess(actor, Relation.QUERY_CODE if is_walk_in(actor.user_id) else Relation.APPLICANT, parties)
    if actor.user_id and actor.user_id == parties.started_by:
        return CaseAccess(actor, Relation.FILING_CLERK, parties)
    return None
