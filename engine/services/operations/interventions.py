"""An administrator's interventions on a case: suspend and resume, terminate, move the token, in bulk.

Each is one step of the case with a history row naming the administrator and the reason, in the
same transaction as the change. A suspended case takes no step (no form, message, retry or timer)
until resumed; on resume its timers are pushed back by the time it was held, unless the matter says
``[operations] suspension = "keep"`` (timers keep their dates; overdue ones fire on the next pass).
Termination cancels the workflow, closes open incidents and serves a 终止办理通知书 on the applicant.
A token move (Camunda's instance modification) sends the case back to a step it already passed, or
on to any other flow node that can hold a token (``runtime.spiff.token_move``), previewed first on a
copy of the workflow, so the preview is exactly what happens; a move that would leave the case
waiting for nothing is refused.
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
from engine.runtime.spiff.http_task import waiting_calls
from engine.runtime.spiff.state_changes import capture
from engine.runtime.spiff.timer_clock import clock_bound
from engine.runtime.spiff.token_move import jump
from engine.runtime.spiff.token_move import movable_nodes
from engine.runtime.spiff.token_move import refusal
from engine.services.cases import case_view
from engine.services.cases import chunk_reader
from engine.services.cases import definition_for_case
from engine.services.cases import load_runtime
from engine.services.context import EngineContext
from engine.services.design.migration import migrate_to_latest
from engine.services.effects import issue_document
from engine.services.operations.incidents import require_operator
from engine.services.operations.incidents import retry_incident
from engine.services.steps import save_runtime
from engine.services.steps import with_retries
from engine.services.views import CaseView

TERMINATION_DOCUMENT = "termination_notice"
TERMINATION_TITLE = "终止办理通知书"
SUSPENSION_RULES = ("extend", "keep")
BULK_ACTIONS = ("suspend", "resume", "retry", "migrate")


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
    #: True: a human step the case already passed (re-opened with the data it had then).
    back: bool = False


@dataclass(frozen=True)
class MovePlan:
    """What a token move would do: the open steps it cancels and the steps open after it."""

    case_id: int
    case_number: str
    target: MoveTarget | None
    targets: tuple[MoveTarget, ...]
    open_before: tuple[str, ...]
    open_after: tuple[str, ...]
    #: Why the chosen target is refused ("" when the move may be made).
    refused: str = ""


def _targets(runtime: CaseRuntime) -> dict[str, MoveTarget]:
    """Human steps the case already passed (latest first: a move back re-opens them), then every
    other top-level flow node that can hold a token (a move forwards or to another branch)."""
    found: dict[str, MoveTarget] = {}
    done = [t for t in runtime.workflow.get_tasks(state=TaskState.COMPLETED)
            if t.task_spec.bpmn_id in runtime.definition.human_tasks]
    for task in sorted(done, key=lambda t: t.last_state_change, reverse=True):
        info = runtime.definition.human_tasks[task.task_spec.bpmn_id]
        found.setdefault(info.element_id, MoveTarget(info.element_id, info.name, back=True))
    for spec in movable_nodes(runtime.workflow):
        found.setdefault(spec.bpmn_id, MoveTarget(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id))
    return found


def _open_names(runtime: CaseRuntime) -> tuple[str, ...]:
    return tuple(runtime.task_info(t).name for t in runtime.ready_human_tasks())


def _move(runtime: CaseRuntime, target: MoveTarget) -> str:
    """Move the token in memory; returns why the result is refused ("" when it may be saved)."""
    if target.back:
        done = [t for t in runtime.workflow.get_tasks(state=TaskState.COMPLETED)
                if t.task_spec.bpmn_id == target.element_id]
        runtime.workflow.reset_from_task_id(max(done, key=lambda t: t.last_state_change).id)
    else:
        jump(runtime.workflow, target.element_id)
    runtime.forget_ready()
    runtime.run_engine()
    if runtime.failure is not None:
        return f"移到“{target.name}”后{runtime.failure.message}，请选择其他环节或先修正数据"
    if runtime.status == "running" and not (runtime.ready_human_tasks() or runtime.next_timer_due()
                                            or runtime.subscriptions() or waiting_calls(runtime.workflow)):
        return (f"移到“{target.name}”后办件将没有可办的环节、定时器或等待的消息"
                "（例如并行分支中的环节：汇聚网关会一直等待其他分支），请选择其他环节")
    return ""


def _target(runtime: CaseRuntime, element_id: str) -> MoveTarget:
    """:raise FormDataInvalid: the element cannot hold a token (with the reason)."""
    target = _targets(runtime).get(element_id)
    if target is None:
        raise FormDataInvalid({"target": refusal(runtime.workflow, element_id) or "请选择要移到的环节"})
    return target


def plan_move(ctx: EngineContext, case_id: int, actor: Actor, element_id: str = "") -> MovePlan:
    """The preview: run the move on a fresh copy of the stored workflow and report, saving nothing.

    :raise FormDataInvalid: ``element_id`` is given but cannot hold a token (with the reason).
    """
    require_operator(ctx, actor)
    with ctx.uow() as uow:
        case = _locked(uow, case_id, ("running", "failed"), "调整流程位置")
        assert case.state is not None
        runtime = CaseRuntime.restore(definition_for_case(ctx, uow, case), case.state, ctx.script_engine,
                                      chunk_reader(uow, case.id))
        targets = _targets(runtime)
        before = _open_names(runtime)
        target = _target(runtime, element_id) if element_id else None
        after: tuple[str, ...] = ()
        refused = ""
        if target is not None:
            with clock_bound(ctx.clock):
                refused = _move(runtime, target)
            after = _open_names(runtime)
        return MovePlan(case.id, case.case_number, target, tuple(targets.values()), before, after, refused)


def move_token(ctx: EngineContext, case_id: int, actor: Actor, element_id: str, reason: str) -> CaseView:
    """Move the case to ``element_id``: back to a step it passed, or on to any other flow node
    that can hold a token; its open steps are cancelled (the preview lists them).

    :raise FormDataInvalid: no reason, or the target is refused (nothing changed).
    """
    require_operator(ctx, actor)
    reason = _reason(reason)

    def step() -> CaseView:
        with ctx.uow() as uow:
            case = _locked(uow, case_id, ("running", "failed"), "调整流程位置")
            runtime = load_runtime(ctx, uow, case)
            target = _target(runtime, element_id)
            now = ctx.clock.now()
            before = _open_names(runtime)
            with clock_bound(ctx.clock), capture(runtime.workflow) as buffer:
                refused = _move(runtime, target)
            if refused:
                raise FormDataInvalid({"target": refused})
            _record(uow, case, "token_moved", actor, now, reason, to=element_id, to_name=target.name,
                    direction="back" if target.back else "jump",
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
    """Suspend, resume, retry (every open incident, unchanged data) or migrate (to the newest version
    of its matter, when safe) each selected case in its own step; one outcome per case."""
    require_operator(ctx, actor)
    reason = _reason(reason)
    if action not in BULK_ACTIONS:
        raise FormDataInvalid({"action": "批量操作只能为挂起、恢复、重试或迁移到最新版本"})
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
    if action == "migrate":
        outcome = migrate_to_latest(ctx, case_id, actor, reason)
        if not outcome.migrated:
            raise NotAllowed("未迁移：" + "；".join(outcome.reasons))
        return outcome.reasons[0]
    with ctx.uow() as uow:
        incidents = open_incidents_of_case(uow, case_id)
    if not incidents:
        raise NotAllowed("该办件没有待处理的异常")
    status = ""
    for incident in incidents:
        status = retry_incident(ctx, incident.id, {}, actor, reason).status
    return status
