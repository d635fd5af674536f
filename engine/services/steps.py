"""Persisting one step: state, worklist rows and history rows, in the caller's transaction.

A "step" is whatever happened to a case between loading and saving it: a start, a completed
form, fired timers. Transitions captured from SpiffWorkflow become history rows; user actions
(submitted forms, claims) are added by the services as their own rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any
from typing import TypeVar
from uuid import UUID

from SpiffWorkflow.util.task import TaskState

from engine.actors import Actor
from engine.clock import FixedClock
from engine.errors import ConcurrentUpdate
from engine.history import to_json
from engine.persistence import repositories as repo
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.records import CaseRecord
from engine.persistence.records import HistorySnapshotRecord
from engine.persistence.records import HumanTaskRecord
from engine.persistence.repositories import Session
from engine.runtime.case import CaseRuntime
from engine.runtime.spiff.serializer import SERIALIZER_VERSION
from engine.runtime.spiff.state_changes import Transition
from engine.runtime.spiff.timer_clock import clock_bound
from engine.services.effects import apply_effects

#: Transitions worth an audit row. Predictions (FUTURE/LIKELY/MAYBE) are SpiffWorkflow's bookkeeping.
RECORDED_STATES = {"READY", "WAITING", "STARTED", "COMPLETED", "CANCELLED", "ERROR"}
LIVE_STATES = {"READY", "WAITING", "STARTED"}

T = TypeVar("T")


def _element_of(runtime: CaseRuntime, transition: Transition) -> tuple[str, str, Any]:
    task = runtime.workflow.get_task_from_id(UUID(transition.task_id)) if transition.task_id else None
    if task is None:
        return "", "", None
    bpmn_id = getattr(task.task_spec, "bpmn_id", None) or ""
    return bpmn_id, getattr(task.task_spec, "bpmn_name", None) or "", task


def record_transitions(session: Session, case: CaseRecord, runtime: CaseRuntime, transitions: list[Transition],
                       actor: Actor, now: datetime) -> None:
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
        repo.append_history(session, case, occurred_at=now, event_type="task_state_changed", actor_id=actor.user_id,
                            actor_role=actor.role_label, element_id=element_id, element_name=element_name,
                            task_uuid=transition.task_id, from_state=transition.from_state,
                            to_state=transition.to_state, data_after=to_json(data_after))
        if transition.to_state == "COMPLETED" and task is not None:
            apply_effects(session, case, runtime, task, element_id, now, actor)


def sync_human_tasks(session: Session, case: CaseRecord, runtime: CaseRuntime, actor: Actor, now: datetime,
                     completed_task_id: str | None = None,
                     open_rows: list[HumanTaskRecord] | None = None) -> list[HumanTaskRecord]:
    """Make the worklist rows match the workflow's READY user tasks; return the open rows after."""
    ready = {str(task.id): task for task in runtime.ready_human_tasks()}
    still_open: list[HumanTaskRecord] = []
    for row in repo.open_tasks_of_case(session, case.id) if open_rows is None else open_rows:
        if row.task_uuid in ready:
            ready.pop(row.task_uuid)
            still_open.append(row)
            continue
        task = runtime.workflow.get_task_from_id(UUID(row.task_uuid))
        done = task is not None and task.state == TaskState.COMPLETED
        row.state = "completed" if done else "cancelled"
        row.completed_at = now
        row.completed_by = actor.user_id if done and row.task_uuid == completed_task_id else (
            row.completed_by if done else None)
    with clock_bound(FixedClock(now)):  # assignee/due expressions read the step's time
        new_rows = [(task_id, task, runtime.assignee_for(task), runtime.due_for(task))
                    for task_id, task in ready.items()]
    for task_id, task, assignee, due in new_rows:
        info = runtime.task_info(task)
        row = HumanTaskRecord(case_id=case.id, task_uuid=task_id, element_id=info.element_id, name=info.name,
                              lane=info.lane, candidate_groups="," + ",".join(info.candidate_groups) + ",",
                              assignee=assignee, form_key=info.form_key, state="open", created_at=now,
                              due_at=due)
        session.add(row)
        still_open.append(row)
    return still_open


def save_runtime(session: Session, case: CaseRecord, runtime: CaseRuntime, transitions: list[Transition],
                 actor: Actor, now: datetime, completed_task_id: str | None = None,
                 open_rows: list[HumanTaskRecord] | None = None) -> list[HumanTaskRecord]:
    """Write the step: state blob, timer column, status, worklist rows, transition history.

    ``open_rows`` are the case's open worklist rows if the caller already loaded them (saves a
    query); the open rows after the step are returned.
    """
    status_before = case.status
    case.state = runtime.dump()
    case.serializer_version = SERIALIZER_VERSION
    case.next_timer_due = runtime.next_timer_due()
    case.status = runtime.status
    case.updated_at = now
    if runtime.failure is not None:
        case.error = runtime.failure.message
    if case.status == "completed" and case.completed_at is None:
        case.completed_at = now
    record_transitions(session, case, runtime, transitions, actor, now)
    rows = sync_human_tasks(session, case, runtime, actor, now, completed_task_id, open_rows)
    if case.status != status_before and case.status in ("completed", "failed"):
        repo.append_history(session, case, occurred_at=now, event_type=f"case_{case.status}", actor_id=actor.user_id,
                            actor_role=actor.role_label,
                            data_after=to_json({"error": case.error} if case.status == "failed" else None))
    maybe_snapshot(session, case, actor, now)
    return rows


SNAPSHOT_EVERY = 100
"""History rows between state snapshots: bounds how much an auditor's replay must re-execute."""


def maybe_snapshot(session: Session, case: CaseRecord, actor: Actor, now: datetime) -> None:
    """Keep a copy of the state every ``SNAPSHOT_EVERY`` rows, its hash chained into the history."""
    if case.history_seq < SNAPSHOT_EVERY:
        return
    if case.history_seq - repo.last_snapshot_seq(session, case.id) < SNAPSHOT_EVERY:
        return
    digest = hashlib.sha256(case.state).hexdigest()
    row = repo.append_history(session, case, occurred_at=now, event_type="snapshot_recorded", actor_id=actor.user_id,
                              actor_role=actor.role_label, data_after=to_json({"sha256": digest}))
    session.add(HistorySnapshotRecord(case_id=case.id, seq=row["seq"], state=case.state, sha256=digest))


def with_retries(attempts: int, step: Callable[[], T]) -> T:
    """Run a whole load-modify-save step again when it lost an optimistic-lock race.

    The retry reloads the case, so a second completion of the *same* task then fails its READY
    check (a clear conflict for the loser), while completions of *different* tasks of the same
    case (two departments finishing at once) both succeed.
    """
    for attempt in range(attempts):
        try:
            with translate_conflicts():
                return step()
        except ConcurrentUpdate:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
