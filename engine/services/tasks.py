"""Worklists and the work itself: claim, release, complete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.actors import Actor
from engine.actors import may_work
from engine.clock import CHINA_TZ
from engine.errors import CaseNotFound
from engine.errors import NotAllowed
from engine.errors import TaskNotFound
from engine.errors import TaskNotReady
from engine.history import to_json
from engine.persistence import repositories as repo
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.records import CaseRecord
from engine.runtime.spiff.state_changes import capture
from engine.runtime.spiff.timer_clock import clock_bound
from engine.services.cases import _case_view
from engine.services.cases import load_runtime
from engine.services.context import EngineContext
from engine.services.deadlines import compute_deadlines
from engine.services.deadlines import metadata_of
from engine.services.steps import save_runtime
from engine.services.steps import with_retries
from engine.services.uploads import link_uploads
from engine.services.views import CaseView
from engine.services.views import TaskView


def list_worklist(ctx: EngineContext, actor: Actor, *, matter_code: str | None = None) -> list[TaskView]:
    """Open tasks for the actor: theirs, plus unclaimed ones of their groups, oldest first."""
    with ctx.uow() as uow:
        return [TaskView.of(row, case) for row, case in
                repo.worklist(uow.session, sorted(actor.groups), actor.user_id, matter_code=matter_code)]


@dataclass(frozen=True)
class WorkItem:
    """A worklist row with the colour a clerk sorts by: the task's own deadline, else the case's promise."""

    task: TaskView
    due: date | None
    state: str  # normal / yellow / red


def list_work_items(ctx: EngineContext, actor: Actor, *, matter_code: str | None = None) -> list[WorkItem]:
    tasks = list_worklist(ctx, actor, matter_code=matter_code)
    today = ctx.clock.now().astimezone(CHINA_TZ).date()
    promised: dict[int, date | None] = {}
    with ctx.uow() as uow:
        for task in tasks:
            if task.due_at is None and task.case_id not in promised:
                case = uow.session.get(CaseRecord, task.case_id)
                deadlines = compute_deadlines(ctx, case, repo.status_events(uow.session, case.id),
                                              metadata_of(uow.session, case)) if case is not None else None
                promised[task.case_id] = deadlines.promised_due if deadlines is not None else None
    items = []
    for task in tasks:
        due = task.due_at.astimezone(CHINA_TZ).date() if task.due_at else promised.get(task.case_id)
        state = str(ctx.calendar.deadline_state(due, today)) if due is not None else "normal"
        items.append(WorkItem(task, due, state))
    return items


def complete_task(ctx: EngineContext, case_id: int, task_uuid: str, raw: dict[str, Any], actor: Actor) -> CaseView:
    """Complete a READY user task with form values, then run the case to its next wait.

    Checks, in order: case exists, task exists and is READY, it is a human task, the actor is in a
    candidate group and nobody else claimed it, the values satisfy the task's form. Any failure
    raises and changes nothing. Losing a race to another completion of the same task raises
    ``TaskNotReady``; losing a race on a different task of the case is retried transparently.
    """

    def step() -> CaseView:
        with ctx.uow() as uow:
            case = repo.lock_case(uow.session, case_id)
            if case is None:
                raise CaseNotFound(case_id)
            runtime = load_runtime(ctx, uow, case)
            open_rows = repo.open_tasks_of_case(uow.session, case.id)
            row = next((r for r in open_rows if r.task_uuid == task_uuid), None)
            now = ctx.clock.now()
            with clock_bound(ctx.clock), capture(runtime.workflow) as buffer:
                submission = runtime.complete(task_uuid, raw, actor, row.assignee if row else None,
                                              (case.owner_id, case.started_by))
            info = runtime.definition.human_tasks[submission.element_id]
            repo.append_history(uow.session, case, occurred_at=now, event_type="form_submitted",
                                actor_id=actor.user_id, actor_role=actor.role_label, element_id=info.element_id,
                                element_name=info.name, task_uuid=submission.task_id,
                                data_before=to_json(submission.before), data_after=to_json(submission.values),
                                payload=to_json(submission.raw))
            link_uploads(uow.session, case, submission.values, actor)
            repo.delete_drafts(uow.session, case.id, task_uuid)
            open_rows = save_runtime(uow.session, case, runtime, buffer.transitions, actor, now,
                                     completed_task_id=task_uuid, open_rows=open_rows)
            uow.session.flush()
            view = _case_view(uow, case, runtime, open_rows)
            uow.commit()
            ctx.keep_runtime(case.id, case.lock_version, runtime)
            return view

    return with_retries(ctx.settings.conflict_retries, step)


def _open_row(ctx: EngineContext, uow: Any, case_id: int, task_uuid: str):  # type: ignore[no-untyped-def]
    case = repo.lock_case(uow.session, case_id)
    if case is None:
        raise CaseNotFound(case_id)
    row = repo.task_row(uow.session, case_id, task_uuid)
    if row is None:
        raise TaskNotFound(task_uuid)
    if row.state != "open":
        raise TaskNotReady(row.name, "已办结" if row.state == "completed" else "已取消")
    return case, row


def _record_and_commit(uow: Any, case: Any, row: Any, event_type: str, actor: Actor, now: Any) -> TaskView:
    """History row for a worklist action on ``row``, then commit; returns the row as it now stands."""
    repo.append_history(uow.session, case, occurred_at=now, event_type=event_type, actor_id=actor.user_id,
                        actor_role=actor.role_label, element_id=row.element_id, element_name=row.name,
                        task_uuid=row.task_uuid)
    case.updated_at = now
    uow.session.flush()
    uow.session.refresh(row)
    view = TaskView.of(row, case)
    uow.commit()
    return view


def claim_task(ctx: EngineContext, case_id: int, task_uuid: str, actor: Actor) -> TaskView:
    """Take an open task of one of the actor's groups; the first of two racing claims wins."""
    with ctx.uow() as uow, translate_conflicts():
        case, row = _open_row(ctx, uow, case_id, task_uuid)
        groups = tuple(g for g in row.candidate_groups.split(",") if g)
        if not may_work(groups, actor, (case.owner_id, case.started_by)):
            raise NotAllowed(f"您无权办理“{row.name}”")
        if row.assignee == actor.user_id:
            return TaskView.of(row, case)
        now = ctx.clock.now()
        if not repo.claim_task_row(uow.session, row.id, actor.user_id, now):
            raise NotAllowed(f"“{row.name}”已被其他人员签收")
        return _record_and_commit(uow, case, row, "task_claimed", actor, now)


def release_task(ctx: EngineContext, case_id: int, task_uuid: str, actor: Actor) -> TaskView:
    """Give a claimed task back to its group queue."""
    with ctx.uow() as uow, translate_conflicts():
        case, row = _open_row(ctx, uow, case_id, task_uuid)
        if row.assignee != actor.user_id:
            raise NotAllowed("只能退回本人签收的任务")
        now = ctx.clock.now()
        repo.release_task_row(uow.session, row.id, actor.user_id)
        return _record_and_commit(uow, case, row, "task_released", actor, now)


def delegate_task(ctx: EngineContext, case_id: int, task_uuid: str, actor: Actor, to_user: Actor) -> TaskView:
    """Hand a task to a colleague of its candidate groups (转办); the holder or a supervisor may do it."""
    with ctx.uow() as uow, translate_conflicts():
        case, row = _open_row(ctx, uow, case_id, task_uuid)
        groups = tuple(g for g in row.candidate_groups.split(",") if g)
        if row.assignee not in (None, actor.user_id) and "supervisor" not in actor.groups:
            raise NotAllowed("只能转办本人签收的任务")
        if not may_work(groups, actor, ()) or not to_user.in_any(groups) or "applicant" in groups:
            raise NotAllowed(f"“{to_user.name or to_user.user_id}”不属于“{row.name}”的办理角色")
        now = ctx.clock.now()
        previous = row.assignee
        row.assignee = to_user.user_id
        row.claimed_at = now
        repo.append_history(uow.session, case, occurred_at=now, event_type="task_delegated", actor_id=actor.user_id,
                            actor_role=actor.role_label, element_id=row.element_id, element_name=row.name,
                            task_uuid=row.task_uuid, data_before=to_json({"assignee": previous}),
                            data_after=to_json({"assignee": to_user.user_id}))
        case.updated_at = now
        uow.session.flush()
        view = TaskView.of(row, case)
        uow.commit()
        return view
