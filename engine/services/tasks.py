"""Worklists and the work itself: claim, release, complete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any
from uuid import UUID

from engine.actors import APPLICANT_GROUP
from engine.actors import Actor
from engine.actors import may_work
from engine.clock import CHINA_TZ
from engine.errors import CaseNotFound
from engine.errors import CaseSuspended
from engine.errors import IncidentRaised
from engine.errors import NotAllowed
from engine.errors import TaskAlreadyDone
from engine.errors import TaskNotFound
from engine.errors import TaskNotReady
from engine.history import to_json
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.repositories.cases import lock_case
from engine.persistence.repositories.cases import save_case
from engine.persistence.repositories.deadlines import current_deadlines_of_cases
from engine.persistence.repositories.drafts import delete_drafts
from engine.persistence.repositories.history import append_history
from engine.persistence.repositories.tasks import assign_row
from engine.persistence.repositories.tasks import claim_row
from engine.persistence.repositories.tasks import open_tasks
from engine.persistence.repositories.tasks import release_row
from engine.persistence.repositories.tasks import task_row
from engine.persistence.repositories.tasks import tasks_of_case
from engine.persistence.repositories.tasks import worklist
from engine.persistence.rows import CaseRow
from engine.persistence.rows import TaskRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.policy.separation import SEPARATION_PROPERTY
from engine.policy.separation import separation_conflict
from engine.policy.separation import separation_message
from engine.runtime.case import CaseRuntime
from engine.runtime.failures import CompletionFailed
from engine.runtime.spiff.state_changes import capture
from engine.runtime.spiff.timer_clock import clock_bound
from engine.services.access import visible_case
from engine.services.cases import case_view
from engine.services.cases import load_runtime
from engine.services.cases import submit_draft
from engine.services.catalogue.forms import case_form
from engine.services.context import EngineContext
from engine.services.deadlines import current_view
from engine.services.failures import record_failure
from engine.services.notices import dispatch_new_notices
from engine.services.notices import notices_staged
from engine.services.steps import save_runtime
from engine.services.steps import with_retries
from engine.services.uploads import link_uploads
from engine.services.views import CaseView
from engine.services.views import TaskView
from engine.state_names import work_item_state_name


def list_worklist(ctx: EngineContext, actor: Actor, *, matter_code: str | None = None, limit: int = 200,
                  after: tuple[datetime, int] | None = None) -> list[TaskView]:
    """Open tasks for the actor: theirs, plus unclaimed ones of their groups, oldest first.

    :param after: (created_at, id) of the last task of the previous page (keyset paging).
    """
    with ctx.uow() as uow:
        return [TaskView.of(row, case) for row, case in
                worklist(uow, sorted(actor.groups), actor.user_id, matter_code=matter_code, limit=limit,
                         after=after)]


@dataclass(frozen=True)
class WorkItem:
    """A worklist row with the colour a clerk sorts by: the task's own deadline, else the case's promise."""

    task: TaskView
    due: date | None
    state: str  # normal / yellow / red

    @property
    def page_key(self) -> tuple[datetime, int]:
        """Where the next page starts (``list_work_items(after=…)``)."""
        return self.task.created_at, self.task.id


def list_work_items(ctx: EngineContext, actor: Actor, *, matter_code: str | None = None, limit: int = 200,
                    after: tuple[datetime, int] | None = None, search: str = "") -> list[WorkItem]:
    """The worklist with due dates, in a constant number of queries whatever its length.

    :param after: the ``page_key`` of the last item of the previous page (keyset paging).
    :param search: only tasks whose step name or case number contains it.
    """
    today = ctx.clock.now().astimezone(CHINA_TZ).date()
    with ctx.uow() as uow:
        pairs = worklist(uow, sorted(actor.groups), actor.user_id, matter_code=matter_code, limit=limit,
                         after=after, search=search)
        dues = due_of_work(ctx, uow, pairs, today)
    return [WorkItem(TaskView.of(row, case), due, state) for (row, case), (due, state) in zip(pairs, dues, strict=True)]


def due_of_work(ctx: EngineContext, uow: UnitOfWork, pairs: list[tuple[TaskRow, CaseRow]],
                today: date) -> list[tuple[date | None, str]]:
    """Each worklist row's due date and colour (normal / yellow / red), in at most one query.

    The task's own deadline wins; otherwise the case's promised date, which the case row carries,
    except while a pause moves it every day (then the deadline records say it).
    """
    paused = {case.id: case for row, case in pairs if row.due_at is None and case.deadline_paused}
    records = current_deadlines_of_cases(uow, paused) if paused else {}
    promised: dict[int, date | None] = {case.id: case.deadline_promised_due for _, case in pairs}
    for case_id, case in paused.items():
        deadlines = current_view(ctx.calendar, records[case_id], today, case.status == "running")
        promised[case_id] = deadlines.promised_due if deadlines is not None else None
    dues = []
    for row, case in pairs:
        due = row.due_at.astimezone(CHINA_TZ).date() if row.due_at else promised.get(case.id)
        dues.append((due, str(ctx.calendar.deadline_state(due, today)) if due is not None else "normal"))
    return dues


def complete_task(ctx: EngineContext, case_id: int, task_uuid: str, raw: dict[str, Any], actor: Actor) -> CaseView:
    """Complete a READY user task with form values, then run the case to its next wait.

    Checks, in order: case exists, task exists and is READY, it is a human task, the actor is in a
    candidate group and nobody else claimed it, the values satisfy the task's form. Any failure
    raises and changes nothing. Losing a race to another completion of the same task raises
    ``TaskNotReady``; losing a race on a different task of the case is retried transparently.
    """

    notices_after: list[int] = []
    notices_due: list[bool] = [False]

    def step() -> CaseView:
        with ctx.uow() as uow:
            case = lock_case(uow, case_id)
            if case is None:
                raise CaseNotFound(case_id)
            notices_after[:] = [case.history_seq]
            if case.status == "suspended":
                raise CaseSuspended(case.case_number)
            runtime = load_runtime(ctx, uow, case)
            open_rows = open_tasks(uow, case.id)
            row = next((r for r in open_rows if r.task_uuid == task_uuid), None)
            if row is None:
                _refuse_closed(task_row(uow, case.id, task_uuid))
            if row is not None:
                _check_separation(uow, runtime, row, actor)
            now = ctx.clock.now()
            if case.status == "draft" and row is not None and APPLICANT_GROUP in row.groups:
                submit_draft(uow, case, runtime, task_uuid, actor, now)
            form = case_form(uow, case, runtime.definition, row.form_key) if row is not None else None
            try:
                with clock_bound(ctx.clock), capture(runtime.workflow) as buffer:
                    submission = runtime.complete(task_uuid, raw, actor, row.assignee if row else None,
                                                  (case.owner_id, case.started_by), form=form)
            except CompletionFailed as failed:
                # The workflow in memory is half-changed and is dropped; the saved state keeps the
                # task open. The incident keeps what was submitted, for the retry.
                incident_id = record_failure(uow, case, failed.failure, actor, now, submitted=raw)
                case.updated_at = now
                save_case(uow, case)
                uow.commit()
                raise IncidentRaised(incident_id, failed.failure) from None
            info = runtime.definition.human_tasks[submission.element_id]
            append_history(uow, case, occurred_at=now, event_type="form_submitted", actor_id=actor.user_id,
                           actor_role=actor.role_label, element_id=info.element_id, element_name=info.name,
                           task_uuid=submission.task_id, data_before=to_json(submission.before),
                           data_after=to_json(submission.values), payload=to_json(submission.raw))
            open_rows = save_runtime(uow, case, runtime, buffer.transitions, actor, now,
                                     completed_task_id=task_uuid, open_rows=open_rows, legal=ctx.legal,
                                     webhooks=ctx.settings.webhooks)
            link_uploads(uow, case, submission.values, actor)
            delete_drafts(uow, case.id, task_uuid)
            view = case_view(case, runtime, open_rows)
            notices_due[0] = notices_staged(uow, case)
            uow.commit()
            ctx.keep_runtime(case.id, case.lock_version, runtime)
            return view

    view = with_retries(ctx.settings.conflict_retries, step, backoff_s=ctx.settings.conflict_backoff_s)
    if notices_due[0]:  # committed: 受理通知书, 补正告知书 … go out now
        dispatch_new_notices(ctx, case_id, notices_after[0])
    return view


def _check_separation(uow: UnitOfWork, runtime: CaseRuntime, row: TaskRow, actor: Actor) -> None:
    """:raise NotAllowed: the actor did (or holds) another task of the row's two-person round (``separation``).

    The round is the task's siblings of the same group: the tasks one parallel gateway forked with it.
    """
    properties = runtime.definition.element_properties
    group = properties.get(row.element_id, {}).get(SEPARATION_PROPERTY)
    task = runtime.workflow.get_task_from_id(UUID(row.task_uuid)) if group else None
    if task is None or task.parent is None:
        return
    siblings = {str(t.id) for t in task.parent.children if t.id != task.id
                and properties.get(getattr(t.task_spec, "bpmn_id", None) or "", {}).get(SEPARATION_PROPERTY) == group}
    other = separation_conflict(siblings, tasks_of_case(uow, row.case_id), actor.user_id) if siblings else None
    if other is not None:
        raise NotAllowed(separation_message(other))


def _open_row(uow: UnitOfWork, case_id: int, task_uuid: str) -> tuple[CaseRow, TaskRow]:
    case = lock_case(uow, case_id)
    if case is None:
        raise CaseNotFound(case_id)
    row = task_row(uow, case_id, task_uuid)
    if row is None:
        raise TaskNotFound(task_uuid)
    _refuse_closed(row)
    return case, row


def _refuse_closed(row: TaskRow | None) -> None:
    """Raise for a worklist row that is no longer open: done (stop) or cancelled (not workable).

    A task whose row was closed may be gone from the workflow too (a cut-off branch), so the row,
    not the workflow, tells a late second completion that the work is finished.
    """
    if row is None or row.state == "open":
        return
    if row.state == "completed":
        raise TaskAlreadyDone(row.name)
    raise TaskNotReady(row.name, work_item_state_name(row.state))


def _record_and_commit(uow: UnitOfWork, case: CaseRow, row: TaskRow, event_type: str, actor: Actor,
                       now: datetime, **fields: Any) -> TaskView:
    """History row for a worklist action on ``row``, the case saved (its lock checked), commit."""
    append_history(uow, case, occurred_at=now, event_type=event_type, actor_id=actor.user_id,
                   actor_role=actor.role_label, element_id=row.element_id, element_name=row.name,
                   task_uuid=row.task_uuid, **fields)
    case.updated_at = now
    save_case(uow, case)
    uow.commit()
    return TaskView.of(row, case)


def claim_task(ctx: EngineContext, case_id: int, task_uuid: str, actor: Actor, *,
               check_visible: bool = False) -> TaskView:
    """Take an open task of one of the actor's groups; the first of two racing claims wins.

    :param check_visible: first apply the rule of reading the case (``access.visible_case``), in the
        same unit of work: a case the actor does not see is "not found" (``task_actions``).
    """
    with ctx.uow() as uow, translate_conflicts():
        if check_visible:
            visible_case(uow, case_id, actor)
        case, row = _open_row(uow, case_id, task_uuid)
        if not may_work(row.groups, actor, (case.owner_id, case.started_by)):
            raise NotAllowed(f"您无权办理“{row.name}”")
        if row.assignee == actor.user_id:
            return TaskView.of(row, case)
        _check_separation(uow, load_runtime(ctx, uow, case), row, actor)
        now = ctx.clock.now()
        if not claim_row(uow, row, actor.user_id, now):
            raise NotAllowed(f"“{row.name}”已被其他人员签收")
        return _record_and_commit(uow, case, row, "task_claimed", actor, now)


def release_task(ctx: EngineContext, case_id: int, task_uuid: str, actor: Actor) -> TaskView:
    """Give a claimed task back to its group queue."""
    with ctx.uow() as uow, translate_conflicts():
        case, row = _open_row(uow, case_id, task_uuid)
        if row.assignee != actor.user_id:
            raise NotAllowed("只能退回本人签收的任务")
        now = ctx.clock.now()
        release_row(uow, row, actor.user_id)
        return _record_and_commit(uow, case, row, "task_released", actor, now)


def delegate_task(ctx: EngineContext, case_id: int, task_uuid: str, actor: Actor, to_user: Actor) -> TaskView:
    """Hand a task to a colleague of its candidate groups (转办); the holder or a supervisor may do it."""
    with ctx.uow() as uow, translate_conflicts():
        case, row = _open_row(uow, case_id, task_uuid)
        groups = row.groups
        if row.assignee not in (None, actor.user_id) and "supervisor" not in actor.groups:
            raise NotAllowed("只能转办本人签收的任务")
        if not may_work(groups, actor, ()) or not to_user.in_any(groups) or "applicant" in groups:
            raise NotAllowed(f"“{to_user.name or to_user.user_id}”不属于“{row.name}”的办理角色")
        _check_separation(uow, load_runtime(ctx, uow, case), row, to_user)
        now = ctx.clock.now()
        previous = row.assignee
        assign_row(uow, row, to_user.user_id, now)
        return _record_and_commit(uow, case, row, "task_delegated", actor, now,
                                  data_before=to_json({"assignee": previous}),
                                  data_after=to_json({"assignee": to_user.user_id}))
