"""An administrator's interventions on a case: suspend and resume, terminate, move the token, in bulk.

Each is one step of the case with a history row naming the administrator and the reason, in the
same transaction as the change. A suspended case takes no step (no form, message, retry or timer)
until resumed; on resume its timers are pushed back by the time it was held, unless the matter says
``[operations] suspension = "keep"`` (timers keep their dates; overdue ones fire on the next pass).
Termination cancels the workflow, closes open incidents and serves a 终止办理通知书 on the applicant.
A token move (Camunda's instance modification) sends the case back to a step it already passed,
previewed first on a copy of the workflow, so the preview is exactly what happens.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState

from engine.actors import Actor
from engine.definitions.catalog import CompiledDefinition
from engine.definitions.facts import DOCUMENTS_PREFIX
from engine.errors import CaseNotFound
from engine.errors import CaseSuspended
from engine.errors import EngineError
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.history import to_json
from engine.persistence.repositories.cases import lock_case
from engine.persistence.repositories.cases import save_case
from engine.persistence.repositories.history import append_history
from engine.persistence.repositories.history import history_of_case
from engine.persistence.repositories.incidents import close_open_incidents
from engine.persistence.repositories.incidents import open_incidents_of_case
from engine.persistence.repositories.tasks import reopen_rows
from engine.persistence.rows import CaseRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.runtime.case import CaseRuntime
from engine.runtime.spiff.events import shift_timers
from engine.runtime.spiff.state_changes import capture
from engine.runtime.spiff.timer_clock import clock_bound
from engine.services.cases import case_view
from engine.services.cases import chunk_reader
from engine.services.cases import definition_for_case
from engine.services.cases import load_runtime
from engine.services.context import EngineContext
from engine.services.effects import issue_document
from engine.services.operations.incidents import require_operator
from engine.services.operations.incidents import retry_incident
from engine.services.steps import save_runtime
from engine.services.steps import with_retries
from engine.services.views import CaseView

TERMINATION_DOCUMENT = "termination_notice"
TERMINATION_TITLE = "终止办理通知书"
SUSPENSION_RULES = ("extend", "keep")


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise FormDataInvalid({"reason": "请填写原因（记入办件历史）"})
    return reason.strip()[:500]


def _locked(uow: UnitOfWork, case_id: int, allowed: tuple[str, ...], what: str) -> CaseRow:
    case = lock_case(uow, case_id)
    if case is None:
        raise CaseNotFound(case_id)
    if case.status == "suspended" and "suspended" not in allowed:
        raise CaseSuspended(case.case_number)
    if case.status not in allowed:
        raise NotAllowed(f"办件当前状态为“{case.status}”，不能{what}")
    return case


def _record(uow: UnitOfWork, case: CaseRow, event: str, actor: Actor, now: datetime, reason: str,
            **data: Any) -> None:
    append_history(uow, case, occurred_at=now, event_type=event, actor_id=actor.user_id, actor_role=actor.role_label,
                   data_after=to_json(data or None), payload=to_json({"reason": reason}))


def suspend_case(ctx: EngineContext, case_id: int, actor: Actor, reason: str) -> CaseView:
    """Hold a running (or 异常) case: nothing moves, its timers do not fire."""
    require_operator(ctx, actor)
    reason = _reason(reason)
    with ctx.uow() as uow:
        case = _locked(uow, case_id, ("running", "failed"), "挂起")
        now = ctx.clock.now()
        _record(uow, case, "case_suspended", actor, now, reason, status=case.status,
                next_timer_due=case.next_timer_due.isoformat() if case.next_timer_due else None)
        case.status, case.next_timer_due, case.updated_at = "suspended", None, now
        save_case(uow, case)
        uow.commit()
        return case_view(case, None, [])


def _suspended_at(uow: UnitOfWork, case: CaseRow) -> datetime:
    rows = [row for row in history_of_case(uow, case.id) if row.event_type == "case_suspended"]
    return rows[-1].occurred_at if rows else case.updated_at


def resume_case(ctx: EngineContext, case_id: int, actor: Actor, reason: str) -> CaseView:
    """Let a suspended case move again; its timers are shifted by the held time (or kept, per the matter)."""
    require_operator(ctx, actor)
    reason = _reason(reason)
    with ctx.uow() as uow:
        case = _locked(uow, case_id, ("suspended",), "恢复")
        runtime = load_runtime(ctx, uow, case)
        now = ctx.clock.now()
        held = now - _suspended_at(uow, case)
        rule = str(runtime.definition.metadata.extra.get("operations", {}).get("suspension", "extend"))
        rule = rule if rule in SUSPENSION_RULES else "extend"
        shifted = shift_timers(runtime.workflow, held) if rule != "keep" else 0
        _record(uow, case, "case_resumed", actor, now, reason, rule=rule, held_seconds=int(held.total_seconds()),
                timers_shifted=shifted)
        case.status = "failed" if open_incidents_of_case(uow, case.id) else "running"
        open_rows = save_runtime(uow, case, runtime, [], actor, now, legal=ctx.legal, webhooks=ctx.settings.webhooks)
        view = case_view(case, runtime, open_rows)
        uow.commit()
        return view


def terminate_case(ctx: EngineContext, case_id: int, actor: Actor, reason: str) -> CaseView:
    """End a case for good: cancel its workflow, close its incidents, serve the 终止办理通知书."""
    require_operator(ctx, actor)
    reason = _reason(reason)

    def step() -> CaseView:
        with ctx.uow() as uow:
            case = _locked(uow, case_id, ("running", "failed", "suspended"), "终止")
            runtime = load_runtime(ctx, uow, case)
            definition = definition_for_case(ctx, uow, case)
            now = ctx.clock.now()
            data = runtime.data
            with clock_bound(ctx.clock), capture(runtime.workflow) as buffer:
                runtime.workflow.cancel()
            runtime.terminated = True
            runtime.forget_ready()
            _record(uow, case, "case_terminated", actor, now, reason, status=case.status)
            closed = close_open_incidents(uow, case.id, "closed", actor.user_id, now)
            issue_document(uow, case, with_termination_template(ctx, definition), TERMINATION_DOCUMENT, "", "",
                           {**data, "termination_reason": reason, "reason": reason}, now, actor, ctx.legal)
            case.error = None if closed else case.error
            open_rows = save_runtime(uow, case, runtime, buffer.transitions, actor, now, legal=ctx.legal,
                                     webhooks=ctx.settings.webhooks)
            case.completed_at = now
            save_case(uow, case)
            view = case_view(case, runtime, open_rows)
            uow.commit()
            return view

    return with_retries(ctx.settings.conflict_retries, step, backoff_s=ctx.settings.conflict_backoff_s)


def with_termination_template(ctx: EngineContext, definition: CompiledDefinition) -> CompiledDefinition:
    """The definition, its bundle completed with the shipped 终止办理通知书 when it has none.

    Versions deployed before the notice existed do not carry it; the hall's current template
    (``processes/_documents``) is used for them, with its title.
    """
    name = f"{DOCUMENTS_PREFIX}{TERMINATION_DOCUMENT}.html"
    if name in definition.files:
        return definition
    folder = ctx.settings.processes_dir / DOCUMENTS_PREFIX.rstrip("/")
    files = dict(definition.files)
    for extra in (f"{TERMINATION_DOCUMENT}.html", "_layout.html"):
        if f"{DOCUMENTS_PREFIX}{extra}" not in files and (folder / extra).is_file():
            files[f"{DOCUMENTS_PREFIX}{extra}"] = (folder / extra).read_text(encoding="utf-8")
    titles = {**definition.document_titles, TERMINATION_DOCUMENT: TERMINATION_TITLE}
    return dataclasses.replace(definition, files=files, document_titles=titles)


@dataclass(frozen=True)
class MoveTarget:
    element_id: str
    name: str


@dataclass(frozen=True)
class MovePlan:
    """What a token move would do: the open steps it cancels and the steps open after it."""

    case_id: int
    case_number: str
    target: MoveTarget | None
    targets: tuple[MoveTarget, ...]
    open_before: tuple[str, ...]
    open_after: tuple[str, ...]


def _targets(runtime: CaseRuntime) -> dict[str, MoveTarget]:
    """Human steps the case already passed (latest first): where a move may send it back to."""
    found: dict[str, MoveTarget] = {}
    done = [t for t in runtime.workflow.get_tasks(state=TaskState.COMPLETED)
            if t.task_spec.bpmn_id in runtime.definition.human_tasks]
    for task in sorted(done, key=lambda t: t.last_state_change, reverse=True):
        info = runtime.definition.human_tasks[task.task_spec.bpmn_id]
        found.setdefault(info.element_id, MoveTarget(info.element_id, info.name))
    return found


def _open_names(runtime: CaseRuntime) -> tuple[str, ...]:
    return tuple(runtime.task_info(t).name for t in runtime.ready_human_tasks())


def _move(runtime: CaseRuntime, element_id: str) -> None:
    done = [t for t in runtime.workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id == element_id]
    latest = max(done, key=lambda t: t.last_state_change)
    runtime.workflow.reset_from_task_id(latest.id)
    runtime.forget_ready()
    runtime.run_engine()


def plan_move(ctx: EngineContext, case_id: int, actor: Actor, element_id: str = "") -> MovePlan:
    """The preview: run the move on a fresh copy of the stored workflow and report, saving nothing."""
    require_operator(ctx, actor)
    with ctx.uow() as uow:
        case = _locked(uow, case_id, ("running", "failed"), "调整流程位置")
        assert case.state is not None
        runtime = CaseRuntime.restore(definition_for_case(ctx, uow, case), case.state, ctx.script_engine,
                                      chunk_reader(uow, case.id))
        targets = _targets(runtime)
        before = _open_names(runtime)
        target = targets.get(element_id)
        after: tuple[str, ...] = ()
        if target is not None:
            with clock_bound(ctx.clock):
                _move(runtime, element_id)
            after = _open_names(runtime)
        return MovePlan(case.id, case.case_number, target, tuple(targets.values()), before, after)


def move_token(ctx: EngineContext, case_id: int, actor: Actor, element_id: str, reason: str) -> CaseView:
    """Send the case back to ``element_id`` (a step it passed); open steps after it are cancelled."""
    require_operator(ctx, actor)
    reason = _reason(reason)

    def step() -> CaseView:
        with ctx.uow() as uow:
            case = _locked(uow, case_id, ("running", "failed"), "调整流程位置")
            runtime = load_runtime(ctx, uow, case)
            targets = _targets(runtime)
            if element_id not in targets:
                raise FormDataInvalid({"target": "只能退回到本办件已经办理过的人工环节"})
            now = ctx.clock.now()
            before = _open_names(runtime)
            with clock_bound(ctx.clock), capture(runtime.workflow) as buffer:
                _move(runtime, element_id)
            _record(uow, case, "token_moved", actor, now, reason, to=element_id, to_name=targets[element_id].name,
                    open_before=list(before), open_after=list(_open_names(runtime)))
            if runtime.failure is None:
                close_open_incidents(uow, case.id, "closed", actor.user_id, now)
                case.error = None
            reopen_rows(uow, case.id, [str(t.id) for t in runtime.ready_human_tasks()], now)
            open_rows = save_runtime(uow, case, runtime, buffer.transitions, actor, now, legal=ctx.legal,
                                     webhooks=ctx.settings.webhooks)
            view = case_view(case, runtime, open_rows)
            uow.commit()
            return view

    return with_retries(ctx.settings.conflict_retries, step, backoff_s=ctx.settings.conflict_backoff_s)


@dataclass(frozen=True)
class BulkOutcome:
    case_id: int
    ok: bool
    message: str


def bulk_action(ctx: EngineContext, actor: Actor, action: str, case_ids: list[int], reason: str) -> list[BulkOutcome]:
    """Suspend, resume or retry (every open incident, unchanged data) each selected case in its own step."""
    require_operator(ctx, actor)
    _reason(reason)
    if action not in ("suspend", "resume", "retry"):
        raise FormDataInvalid({"action": "批量操作只能为挂起、恢复或重试"})
    outcomes = []
    for case_id in dict.fromkeys(case_ids):
        try:
            outcomes.append(BulkOutcome(case_id, True, _one(ctx, actor, action, case_id, reason)))
        except EngineError as exc:
            outcomes.append(BulkOutcome(case_id, False, exc.message))
    return outcomes


def _one(ctx: EngineContext, actor: Actor, action: str, case_id: int, reason: str) -> str:
    actions: dict[str, Callable[[], Any]] = {
        "suspend": lambda: suspend_case(ctx, case_id, actor, reason),
        "resume": lambda: resume_case(ctx, case_id, actor, reason),
    }
    if action in actions:
        return actions[action]().status
    with ctx.uow() as uow:
        incidents = open_incidents_of_case(uow, case_id)
    if not incidents:
        raise NotAllowed("该办件没有待处理的异常")
    status = ""
    for incident in incidents:
        status = retry_incident(ctx, incident.id, {}, actor, reason).status
    return status
