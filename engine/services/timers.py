"""The timer worker's use case: fire every due timer exactly once, whatever the number of workers."""

from __future__ import annotations

import logging
import threading

from engine.actors import Actor
from engine.errors import ConcurrentUpdate
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.repositories.cases import due_timer_case_ids
from engine.persistence.repositories.cases import lock_due_case
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
    """Fire timers of up to ``limit`` due cases; return how many cases this call advanced."""
    with ctx.uow() as uow:
        candidates = due_timer_case_ids(uow, ctx.clock.now(), limit, skip_locked=False)
    fired = 0
    for case_id in candidates:
        try:
            fired += _fire_one(ctx, case_id)
        except ConcurrentUpdate:
            log.info("case %s advanced by someone else while firing timers", case_id)
    return fired


def run_worker(ctx: EngineContext, stop: threading.Event, poll_seconds: float = 5.0) -> None:
    """Poll for due timers (and deliver the outbox) until ``stop`` is set (``onewindow worker``)."""
    while not stop.is_set():
        try:
            refresh_calendar(ctx)  # a calendar change made by any process counts from this poll on
            fire_due_timers(ctx)
            sweep_service_flags(ctx)  # art. 44: the day-7 flag and the overdue mark, each written once
        except Exception:  # noqa: BLE001 - a worker must survive one bad case and keep polling
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
        stop.wait(poll_seconds)
