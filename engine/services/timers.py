"""The timer worker's use case: fire every due timer exactly once, whatever the number of workers."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from engine.actors import Actor
from engine.errors import ConcurrentUpdate
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.repositories.cases import due_timer_case_ids
from engine.persistence.repositories.cases import lock_due_case
from engine.persistence.repositories.cases import next_timer_after
from engine.persistence.repositories.cases import timer_definition_ids
from engine.persistence.repositories.history import append_history
from engine.runtime.spiff.state_changes import capture
from engine.runtime.spiff.timer_clock import clock_bound
from engine.services.calendar import refresh_calendar
from engine.services.cases import load_runtime
from engine.services.context import EngineContext
from engine.services.notices import dispatch_new_notices
from engine.services.notices import notices_staged
from engine.services.outbox import deliver_due
from engine.services.service_calls import deliver_service_calls
from engine.services.service_flags import sweep_service_flags
from engine.services.steps import save_runtime

log = logging.getLogger(__name__)

#: Due cases taken per query: small, so a timer that comes due while a batch runs is picked up by
#: the next query rather than after the whole batch and a poll.
BATCH = 10
#: Wake this long after a timer's due moment (stored times have microseconds; due means ``<= now``).
WAKE_SLACK_S = 0.005


def _fire_one(ctx: EngineContext, case_id: int) -> bool:
    """Fire the due timers of one case in its own transaction; False if another worker has it."""
    now = ctx.clock.now()
    with ctx.uow() as uow, translate_conflicts():
        case = lock_due_case(uow, case_id, now, skip_locked=uow.dialect == "postgresql")
        if case is None:
            return False  # locked by another worker, or already fired and moved on
        after_seq = case.history_seq
        runtime = load_runtime(ctx, uow, case)
        actor = Actor.system()
        with clock_bound(ctx.clock), capture(runtime.workflow) as buffer:
            runtime.fire_due_timers()
        append_history(uow, case, occurred_at=now, event_type="timers_fired", actor_id=actor.user_id,
                       actor_role=actor.role_label)
        save_runtime(uow, case, runtime, buffer.transitions, actor, now, legal=ctx.legal,
                     webhooks=ctx.settings.webhooks)
        notify = notices_staged(uow, case)
        uow.commit()
        ctx.keep_runtime(case.id, case.lock_version, runtime)
    if notify:
        dispatch_new_notices(ctx, case_id, after_seq)  # e.g. 逾期未补正 → 不予许可决定书
    return True


def fire_due_timers(ctx: EngineContext, limit: int = 100) -> int:
    """Fire timers of up to ``limit`` due cases; return how many cases this call advanced.

    A case that fails for any other reason than a lost race is logged and skipped: the candidates
    come earliest-due first, so one broken case must not hold back every timer behind it.
    """
    with ctx.uow() as uow:
        candidates = due_timer_case_ids(uow, ctx.clock.now(), limit, skip_locked=False)
    fired = 0
    for case_id in candidates:
        try:
            fired += _fire_one(ctx, case_id)
        except ConcurrentUpdate:
            log.info("case %s advanced by someone else while firing timers", case_id)
        except Exception:  # noqa: BLE001 - see above; the case keeps its due timer and is retried
            log.exception("firing the timers of case %s failed", case_id)
    return fired


def warm_up(ctx: EngineContext) -> int:
    """Compile the versions that cases with a pending timer run on, before the worker's first poll.

    A worker that takes over from a killed one would otherwise parse BPMN while timers wait on it;
    returns how many versions were compiled.
    """
    with ctx.uow() as uow:
        ids = timer_definition_ids(uow)
        for definition_id in ids:
            ctx.compiled_by_id(uow, definition_id)
    return len(ids)


def _pause(ctx: EngineContext, poll_seconds: float, pass_began: datetime) -> float:
    """Seconds until the next timer comes due, at most ``poll_seconds`` (which also picks up timers
    other processes arm meanwhile, and cases a failed attempt left due).

    Timers due after the pass began count, so one that came due while the pass ran is fired at once
    (the pass did not see it); those due before it are the ones it tried, left for the next poll.
    """
    with ctx.uow() as uow:
        due = next_timer_after(uow, pass_began)
    if due is None:
        return poll_seconds
    return min(poll_seconds, max(0.0, (due - ctx.clock.now()).total_seconds()) + WAKE_SLACK_S)


def run_worker(ctx: EngineContext, stop: threading.Event, poll_seconds: float = 5.0) -> None:
    """Fire due timers (and deliver the outbox) until ``stop`` is set (``onewindow worker``).

    Due cases are taken in small batches, the next batch at once while batches come back full; then
    the worker sleeps until the next timer is due (or ``poll_seconds``, whichever is sooner), so a
    timer fires within its own firing time of being due instead of up to a whole poll later.
    """
    while not stop.is_set():
        busy = False
        began = ctx.clock.now()
        try:
            refresh_calendar(ctx)  # a calendar change made by any process counts from this pass on
            busy = fire_due_timers(ctx, BATCH) >= BATCH
            sweep_service_flags(ctx)  # art. 44: the day-7 flag and the overdue mark, each written once
        except Exception:  # noqa: BLE001 - a worker must survive an unreachable database and keep polling
            log.exception("timer pass failed")
        if ctx.settings.webhooks:
            try:
                deliver_due(ctx)  # the outbox: case events to the configured webhooks
            except Exception:  # noqa: BLE001 - same: keep polling
                log.exception("outbox pass failed")
        if ctx.settings.service_endpoints:
            try:
                deliver_service_calls(ctx)  # service tasks' HTTP requests, answers written back
            except Exception:  # noqa: BLE001 - same: keep polling
                log.exception("service call pass failed")
        if busy:
            continue
        try:
            pause = _pause(ctx, poll_seconds, began)
        except Exception:  # noqa: BLE001 - database away: poll again later
            log.exception("next timer not readable")
            pause = poll_seconds
        stop.wait(pause)
