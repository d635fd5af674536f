"""Timers fire on the injected clock, from the worker, exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.services import cases
from engine.services import tasks
from engine.services import timers
from engine.services.context import EngineContext
from engine.services.timers import fire_due_timers
from engine.services.timers import run_worker
from engine.services.timers import warm_up
from tests.conftest import dept_actor
from tests.readback import get_case


def _elements(view) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.element_id for t in view.open_tasks]


def test_timer_due_time_follows_the_injected_clock(deployed: EngineContext, clock: FixedClock) -> None:
    view = cases.start_case(deployed, "timer_review", Actor.system())
    assert view.next_timer_due == clock.now() + timedelta(days=2)
    clock.advance(days=1, hours=23)
    assert fire_due_timers(deployed) == 0
    assert _elements(get_case(deployed, view.id)) == ["review"]
    clock.advance(hours=2)
    assert fire_due_timers(deployed) == 1
    after = get_case(deployed, view.id)
    assert _elements(after) == ["escalate"]
    assert after.next_timer_due is None
    history = cases.case_history(deployed, view.id)
    assert ("review", "CANCELLED") in {(h.element_id, h.to_state) for h in history}
    assert ("review_overdue", "COMPLETED") in {(h.element_id, h.to_state) for h in history}


def test_completing_in_time_cancels_the_timer(deployed: EngineContext, clock: FixedClock) -> None:
    view = cases.start_case(deployed, "timer_review", Actor.system())
    review = view.open_tasks[0]
    done = tasks.complete_task(deployed, view.id, review.task_uuid, {"a_opinion": "approve"}, dept_actor("a_cb"))
    assert done.status == "completed" and done.next_timer_due is None
    clock.advance(days=3)
    assert fire_due_timers(deployed) == 0


def test_several_workers_never_fire_one_timer_twice(deployed: EngineContext, clock: FixedClock) -> None:
    ids = [cases.start_case(deployed, "timer_review", Actor.system()).id for _ in range(4)]
    clock.advance(days=3)
    barrier = threading.Barrier(3)
    counts: list[int] = []

    def worker() -> None:
        barrier.wait()
        counts.append(fire_due_timers(deployed))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(counts) == 4
    for case_id in ids:
        history = cases.case_history(deployed, case_id)
        assert sum(1 for h in history if h.event_type == "timers_fired") == 1
        assert _elements(get_case(deployed, case_id)) == ["escalate"]


def test_worker_loop_fires_and_stops(deployed: EngineContext, clock: FixedClock) -> None:
    view = cases.start_case(deployed, "timer_review", Actor.system())
    clock.advance(days=3)
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(deployed, stop, 0.05))
    thread.start()
    try:
        for _ in range(200):
            if _elements(get_case(deployed, view.id)) == ["escalate"]:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert _elements(get_case(deployed, view.id)) == ["escalate"]


class SteppedStop(threading.Event):
    """The worker's stop event on a fixed clock: each pause it takes moves the clock on by that
    long (as real time would) and is recorded; after ``pauses`` pauses it stops the worker."""

    def __init__(self, clock: FixedClock, pauses: int) -> None:
        super().__init__()
        self.clock = clock
        self.pauses = pauses
        self.taken: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.taken.append(timeout)
        self.clock.advance(seconds=timeout)
        if len(self.taken) >= self.pauses:
            self.set()
        return self.is_set()


def _fired(ctx: EngineContext, case_id: int) -> bool:
    return any(h.event_type == "timers_fired" for h in cases.case_history(ctx, case_id))


def test_worker_wakes_when_the_next_timer_is_due_not_a_poll_later(deployed: EngineContext,
                                                                   clock: FixedClock) -> None:
    view = cases.start_case(deployed, "timer_review", Actor.system())
    assert view.next_timer_due is not None
    clock.set(view.next_timer_due - timedelta(seconds=1.5))
    stop = SteppedStop(clock, pauses=2)
    run_worker(deployed, stop, poll_seconds=60)
    first = stop.taken[0]
    assert 1.5 <= first < 1.6  # slept until the timer was due, not the 60 s poll
    assert _fired(deployed, view.id) and _elements(get_case(deployed, view.id)) == ["escalate"]
    assert stop.taken[1] == 60  # nothing else pending: back to polling (other processes arm timers)


def test_a_timer_that_came_due_while_a_pass_ran_is_fired_without_pausing(deployed: EngineContext,
                                                                         clock: FixedClock) -> None:
    view = cases.start_case(deployed, "timer_review", Actor.system())
    due = view.next_timer_due
    assert due is not None
    clock.set(due + timedelta(seconds=0.1))  # the pass began just before it was due, ended just after
    assert timers._pause(deployed, 60, pass_began=due - timedelta(seconds=0.2)) == timers.WAKE_SLACK_S
    # Due before the pass began: the pass tried it (it failed, or another worker holds it): the next poll.
    assert timers._pause(deployed, 60, pass_began=due + timedelta(seconds=0.05)) == 60


def test_worker_takes_due_timers_in_small_batches_without_pausing(deployed: EngineContext,
                                                                   clock: FixedClock) -> None:
    ids = [cases.start_case(deployed, "timer_review", Actor.system()).id for _ in range(timers.BATCH + 2)]
    clock.advance(days=3)
    stop = SteppedStop(clock, pauses=1)
    run_worker(deployed, stop, poll_seconds=60)
    assert all(_fired(deployed, case_id) for case_id in ids)  # all of them before the first pause
    assert stop.taken == [60]


def test_one_failing_case_does_not_hold_back_the_timers_behind_it(deployed: EngineContext, clock: FixedClock,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = (cases.start_case(deployed, "timer_review", Actor.system()).id for _ in range(2))
    clock.advance(days=3)
    fire_one = timers._fire_one

    def broken_first(ctx: EngineContext, case_id: int) -> bool:
        if case_id == first:
            raise RuntimeError("state blob unreadable")
        return fire_one(ctx, case_id)

    monkeypatch.setattr(timers, "_fire_one", broken_first)
    assert fire_due_timers(deployed) == 1
    assert _fired(deployed, second) and not _fired(deployed, first)
    monkeypatch.setattr(timers, "_fire_one", fire_one)
    assert fire_due_timers(deployed) == 1 and _fired(deployed, first)  # still due: fired once repaired


def test_warm_up_compiles_the_versions_waiting_timers_run_on(deployed: EngineContext) -> None:
    view = cases.start_case(deployed, "timer_review", Actor.system())
    deployed._definitions.clear()
    assert warm_up(deployed) == 1
    assert view.definition_id in deployed._definitions


def test_task_due_date_and_worklist_colour(deployed: EngineContext, clock: FixedClock) -> None:
    from engine.services.tasks import list_work_items

    view = cases.start_case(deployed, "timer_review", Actor.system())
    clock.advance(days=3)  # Mon 2025-09-29: the review timer fired; 督办 is due 2 working days later
    fire_due_timers(deployed)
    escalate = next(t for t in get_case(deployed, view.id).open_tasks if t.element_id == "escalate")
    assert escalate.due_at is not None
    # Tue 09-30 is one working day, then the National Day holiday: the second is Thu 10-09, 23:59:59 China time.
    assert escalate.due_at.isoformat() == "2025-10-09T15:59:59+00:00"
    chief = dept_actor("a_pz")
    [item] = list_work_items(deployed, chief)
    assert (item.due.isoformat(), item.state) == ("2025-10-09", "yellow")
    clock.advance(days=3)  # during the holiday: still due, still yellow
    assert list_work_items(deployed, chief)[0].state == "yellow"
    clock.advance(days=9)  # Sat 10-11, a make-up working day after the due date
    assert list_work_items(deployed, chief)[0].state == "red"
