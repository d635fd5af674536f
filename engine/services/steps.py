"""Persisting one step: state, worklist rows and history rows, in the caller's transaction.

A "step" is whatever happened to a case between loading and saving it: a start, a completed
form, fired timers. Transitions captured from SpiffWorkflow become history rows; user actions
(submitted forms, claims) are added by the services as their own rows.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any
from typing import TypeVar

from SpiffWorkflow.util.task import TaskState

from engine.actors import Actor
from engine.case_facts import CREDIT_CODE_KEYS
from engine.clock import FixedClock
from engine.errors import ConcurrentUpdate
from engine.history import to_json
from engine.legal_time import LegalClock
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.repositories.cases import save_case
from engine.persistence.repositories.history import append_history
from engine.persistence.repositories.history import last_snapshot_seq
from engine.persistence.repositories.history import stage_snapshot
from engine.persistence.repositories.state_chunks import drop_state_chunks
from engine.persistence.repositories.state_chunks import stage_state_chunk
from engine.persistence.repositories.subscriptions import replace_subscriptions
from engine.persistence.repositories.tasks import NewTask
from engine.persistence.repositories.tasks import close_tasks
from engine.persistence.repositories.tasks import insert_tasks
from engine.persistence.repositories.tasks import open_tasks
from engine.persistence.rows import CaseRow
from engine.persistence.rows import TaskRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.runtime.case import CaseRuntime
from engine.runtime.spiff.serializer import SERIALIZER_VERSION
from engine.runtime.spiff.state_changes import Transition
from engine.runtime.spiff.timer_clock import clock_bound
from engine.services.deadlines import period_end
from engine.services.effects import apply_effects
from engine.services.failures import record_failure
from engine.services.failures import still_failed
from engine.services.outbox import stage_calls
from engine.services.outbox import stage_step_events
from engine.settings import Webhook

#: Transitions worth an audit row. Predictions (FUTURE/LIKELY/MAYBE) are SpiffWorkflow's bookkeeping.
RECORDED_STATES = {"READY", "WAITING", "STARTED", "COMPLETED", "CANCELLED", "ERROR"}
LIVE_STATES = {"READY", "WAITING", "STARTED"}

T = TypeVar("T")


def _element_of(runtime: CaseRuntime, transition: Transition) -> tuple[str, str, Any]:
    task = runtime.find_task(transition.task_id) if transition.task_id else None
    if task is None:
        return "", "", None
    bpmn_id = getattr(task.task_spec, "bpmn_id", None) or ""
    return bpmn_id, getattr(task.task_spec, "bpmn_name", None) or "", task


def record_transitions(uow: UnitOfWork, case: CaseRow, runtime: CaseRuntime, transitions: list[Transition],
                       actor: Actor, now: datetime, legal: LegalClock | None = None) -> None:
    for transition in transitions:
        if transition.to_state not in RECORDED_STATES:
            continue
        if transition.to_state == "CANCELLED" and transition.from_state not in LIVE_STATES:
            continue  # an untaken branch being pruned, not a cancelled piece of work
        element_id, element_name, task = _element_of(runtime, transition)
        if not element_id:
            continue  # internal tasks (Start, End, Root) have no BPMN element
        data_after = None
        if transition.to_state == "COMPLETED" and task is not None and not task.task_spec.manual \
                and task.parent is not None:
            changed = {k: v for k, v in task.data.items() if task.parent.data.get(k, object()) != v}
            data_after = changed or None
        append_history(uow, case, occurred_at=now, event_type="task_state_changed", actor_id=actor.user_id,
                       actor_role=actor.role_label, element_id=element_id, element_name=element_name,
                       task_uuid=transition.task_id, from_state=transition.from_state, to_state=transition.to_state,
                       data_after=to_json(data_after))
        if transition.to_state == "COMPLETED" and task is not None:
            apply_effects(uow, case, runtime, task, element_id, now, actor, legal)


@dataclass
class WorklistChange:
    """How a step changes the case's worklist: rows that stay open, rows it closes, tasks it opens."""

    still_open: list[TaskRow] = field(default_factory=list)
    closed: list[TaskRow] = field(default_factory=list)
    opened: list[NewTask] = field(default_factory=list)


def plan_worklist(uow: UnitOfWork, case: CaseRow, runtime: CaseRuntime, actor: Actor, now: datetime,
                  completed_task_id: str | None = None, open_rows: list[TaskRow] | None = None) -> WorklistChange:
    """Which worklist rows must close (completed, or cancelled when their branch was cut off) and
    which READY user tasks need a row, so that the worklist matches the workflow (nothing written)."""
    ready = {str(task.id): task for task in runtime.ready_human_tasks()}
    change = WorklistChange()
    for row in open_tasks(uow, case.id) if open_rows is None else open_rows:
        if row.task_uuid in ready:
            ready.pop(row.task_uuid)
            change.still_open.append(row)
            continue
        task = runtime.find_task(row.task_uuid)  # None: the workflow dropped it (a cut-off branch)
        done = task is not None and task.state == TaskState.COMPLETED
        row.state = "completed" if done else "cancelled"
        row.completed_at = now
        row.completed_by = actor.user_id if done and row.task_uuid == completed_task_id else (
            row.completed_by if done else None)
        change.closed.append(row)
    with clock_bound(FixedClock(now)):  # assignee/due expressions read the step's time
        for task_id, task in ready.items():
            info = runtime.task_info(task)
            # A wait on a period a notice gave (``period_wait``, e.g. 陈述申辩) is due when the stored period ends.
            wait = runtime.definition.element_properties.get(info.element_id, {}).get("period_wait")
            due_at = (period_end(uow, case.id, wait) if wait else None) or runtime.due_for(task)
            change.opened.append(NewTask(task_uuid=task_id, element_id=info.element_id, name=info.name,
                                         lane=info.lane, candidate_groups=runtime.groups_for(task),
                                         assignee=runtime.assignee_for(task), form_key=info.form_key,
                                         due_at=due_at))
    return change


def save_runtime(uow: UnitOfWork, case: CaseRow, runtime: CaseRuntime, transitions: list[Transition],
                 actor: Actor, now: datetime, completed_task_id: str | None = None,
                 open_rows: list[TaskRow] | None = None, *, legal: LegalClock,
                 webhooks: tuple[Webhook, ...] = ()) -> list[TaskRow]:
    """Write the step: the case row (state blob, timer column, status, chain head), worklist rows,
    and the staged history, documents and snapshot. Nothing may append history after this.

    The case row's optimistic ``UPDATE`` is the step's first write, so a step that lost a race
    fails there (``ConcurrentUpdate``) before it wrote anything, and the whole step can be retried.
    ``open_rows`` are the case's open worklist rows if the caller already loaded them (saves a
    query); the open rows after the step are returned. ``legal`` (calendar and hall) keeps the
    case's deadline record in step with its status codes; every step that runs the workflow gives it.
    ``webhooks`` (the configured receivers) get outbox rows for the step's events, in its transaction.
    """
    status_before = case.status
    stage_calls(uow, case, runtime, now)  # marks the requests staged, so before the state is dumped
    stored = runtime.store()
    case.state = stored.blob
    case.serializer_version = SERIALIZER_VERSION
    case.next_timer_due = runtime.next_timer_due()
    # A draft stays one while it waits for its application (``cases.submit_draft`` ends that).
    case.status = "draft" if status_before == "draft" and runtime.status == "running" else runtime.status
    case.updated_at = now
    if case.status == "completed" and case.completed_at is None:
        case.completed_at = now
    record_transitions(uow, case, runtime, transitions, actor, now, legal)
    if runtime.failure is not None:
        record_failure(uow, case, runtime.failure, actor, now)
    elif status_before == "failed" and case.status == "running" and still_failed(uow, case):
        case.status = "failed"  # another branch moved on; the open incident still stands
    change = plan_worklist(uow, case, runtime, actor, now, completed_task_id, open_rows)
    if case.status != status_before and case.status in ("completed", "failed"):
        append_history(uow, case, occurred_at=now, event_type=f"case_{case.status}", actor_id=actor.user_id,
                       actor_role=actor.role_label,
                       data_after=to_json({"error": case.error} if case.status == "failed" else None))
    if runtime.definition.catches_events:
        keep_subscriptions(uow, case, runtime, now)
    if webhooks:
        stage_step_events(uow, webhooks, case, status_before, change.opened, runtime.failure, now)
    maybe_snapshot(uow, case, runtime, actor, now)
    save_case(uow, case)
    if stored.replace:
        drop_state_chunks(uow, case.id)
    if stored.chunk is not None:
        stage_state_chunk(uow, case.id, *stored.chunk)
    close_tasks(uow, change.closed)
    return change.still_open + insert_tasks(uow, case.id, change.opened, now)


def keep_subscriptions(uow: UnitOfWork, case: CaseRow, runtime: CaseRuntime, now: datetime) -> None:
    """Index what the case waits for, so a message finds it without restoring any workflow."""
    live = case.status in ("running", "failed")
    waiting = [(s.kind, s.name, s.element_id) for s in runtime.subscriptions()] if live else []
    data = runtime.data if waiting else {}
    credit = next((str(data[k]) for k in CREDIT_CODE_KEYS if data.get(k)), "")[:18]
    replace_subscriptions(uow, case.id, case.case_number, credit, waiting, now)


SNAPSHOT_EVERY = 100
"""History rows between state snapshots: bounds how much an auditor's replay must re-execute."""


def maybe_snapshot(uow: UnitOfWork, case: CaseRow, runtime: CaseRuntime, actor: Actor, now: datetime) -> None:
    """Keep a copy of the whole state every ``SNAPSHOT_EVERY`` rows, its hash chained into the history.

    The copy holds every task (no chunks), so a replay restores it on its own."""
    if case.history_seq < SNAPSHOT_EVERY or case.state is None:
        return
    if case.history_seq - last_snapshot_seq(uow, case.id) < SNAPSHOT_EVERY:
        return
    state = runtime.dump()
    digest = hashlib.sha256(state).hexdigest()
    row = append_history(uow, case, occurred_at=now, event_type="snapshot_recorded", actor_id=actor.user_id,
                         actor_role=actor.role_label, data_after=to_json({"sha256": digest}))
    stage_snapshot(uow, case.id, row["seq"], state, digest)


def with_retries(attempts: int, step: Callable[[], T], *, backoff_s: float = 0.0,
                 sleep: Callable[[float], None] = time.sleep,
                 jitter: Callable[[], float] = random.random) -> T:
    """Run a whole load-modify-save step again when it lost an optimistic-lock race.

    The retry reloads the case, so a second completion of the *same* task then fails its READY
    check (a clear "already done" for the loser), while completions of *different* tasks of the
    same case (two departments finishing at once) both succeed. Between attempts it waits a random
    time up to ``backoff_s`` × 2^attempt ("full jitter"), so racers that collided once do not
    collide again in lockstep; after the last attempt the ``ConcurrentUpdate`` reaches the caller
    (``conflict_retry``: the client may send the request again).
    """
    for attempt in range(attempts):
        try:
            with translate_conflicts():
                return step()
        except ConcurrentUpdate:
            if attempt == attempts - 1:
                raise
            if backoff_s > 0:
                sleep(jitter() * backoff_s * (2 ** attempt))
    raise AssertionError("unreachable")
