"""Rule: on SQLite, as on PostgreSQL, a step reads its case and tasks from one commit, writers to a
case take turns, and a task that is gone answers "already done" or "not found", never a crash.

The issue's failure: the same completion sent four times at once to several workers on SQLite gave
500s, because the case row and its open-task rows came from different commits. These tests use
real SQLite files and separate engine contexts (one per "worker process").
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from engine.actors import Actor
from engine.errors import ConcurrentUpdate
from engine.errors import TaskAlreadyDone
from engine.errors import TaskNotFound
from engine.persistence import database
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.repositories.cases import case_by_id
from engine.persistence.repositories.cases import lock_case
from engine.persistence.repositories.tasks import open_tasks
from engine.services import cases
from engine.services import tasks
from engine.services.context import EngineContext
from engine.services.steps import with_retries
from tests.conftest import dept_actor
from tests.readback import get_case
from tests.services.conftest import VALID_APPLICATION
from tests.services.test_concurrency import race

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _sqlite_path(ctx: EngineContext) -> str:
    return ctx.db.url.split("///", 1)[1]


@pytest.fixture
def workers(deployed: EngineContext) -> Iterator[list[EngineContext]]:
    """Four more contexts on the same database file: four worker processes' worth of caches."""
    others = [EngineContext.create(deployed.settings, deployed.clock) for _ in range(4)]
    yield others
    for other in others:
        other.dispose()


def _submitted(ctx: EngineContext, applicant: Actor):  # type: ignore[no-untyped-def]
    view = cases.start_case(ctx, "parallel_review", applicant)
    submit = next(t for t in view.open_tasks if t.element_id == "submit")
    return tasks.complete_task(ctx, view.id, submit.task_uuid, VALID_APPLICATION, applicant)


@SQLITE
def test_a_step_holds_the_write_lock_from_its_first_read(deployed: EngineContext, applicant: Actor) -> None:
    view = _submitted(deployed, applicant)
    other = sqlite3.connect(_sqlite_path(deployed), timeout=0, isolation_level=None)
    try:
        with deployed.uow() as uow:
            assert lock_case(uow, view.id) is not None
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # released with the unit of work
        other.execute("ROLLBACK")
    finally:
        other.close()


@SQLITE
def test_a_writer_waiting_for_the_write_lock_takes_it_as_soon_as_it_is_free(deployed: EngineContext,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The wait is ours, not SQLite's busy handler (whose growing sleeps let a long waiter lose the
    lock to newcomers again and again): short constant pauses, then the lock at the first look after
    its release; other statements keep their busy timeout."""
    holder = sqlite3.connect(_sqlite_path(deployed), timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 3:
            holder.execute("ROLLBACK")  # the other writer is done

    monkeypatch.setattr(database.time, "sleep", pause)
    try:
        with deployed.uow(write=True) as uow:
            assert len(pauses) == 3 and all(0 < p <= database.WRITE_LOCK_RETRY_S for p in pauses)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                holder.execute("BEGIN IMMEDIATE")  # ours now
            assert uow.session.execute(text("PRAGMA busy_timeout")).scalar_one() == database.SQLITE_BUSY_MS
    finally:
        holder.close()


@SQLITE
def test_a_write_lock_not_had_in_time_is_a_conflict_to_retry(deployed: EngineContext,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    holder = sqlite3.connect(_sqlite_path(deployed), timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    monkeypatch.setattr(database, "SQLITE_BUSY_MS", 0)
    try:
        with pytest.raises(ConcurrentUpdate), translate_conflicts(), deployed.uow(write=True):
            pass
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@SQLITE
def test_a_step_that_read_first_still_takes_the_write_lock_when_it_locks(deployed: EngineContext,
                                                                        applicant: Actor) -> None:
    view = _submitted(deployed, applicant)
    other = sqlite3.connect(_sqlite_path(deployed), timeout=0, isolation_level=None)
    try:
        with deployed.uow() as uow:
            assert case_by_id(uow, view.id) is not None  # a plain read: nothing locked yet
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            assert lock_case(uow, view.id) is not None
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            # What the step reads now cannot change before it commits: the case and its task rows
            # come from one commit.
            assert len(open_tasks(uow, view.id)) == len(view.open_tasks)
    finally:
        other.close()


@SQLITE
@pytest.mark.parametrize("round_", range(3))
def test_the_same_completion_sent_four_times_to_four_workers(deployed: EngineContext, workers: list[EngineContext],
                                                             applicant: Actor, round_: int) -> None:
    view = _submitted(deployed, applicant)
    a_cb = next(t for t in view.open_tasks if t.element_id == "a_cb")
    form = {"a_opinion": "approve", "a_comment": "同意"}
    results = race(*[(lambda w=w: tasks.complete_task(w, view.id, a_cb.task_uuid, form, dept_actor("a_cb")))
                     for w in workers])
    assert sum(1 for r in results if not isinstance(r, Exception)) == 1
    assert [type(r).__name__ for r in results if isinstance(r, Exception)] == ["TaskAlreadyDone"] * 3
    history = cases.case_history(deployed, view.id)
    assert sum(1 for h in history if h.event_type == "form_submitted" and h.element_id == "a_cb") == 1
    assert [t.element_id for t in get_case(deployed, view.id).open_tasks if t.element_id.startswith("a_")] == ["a_sh"]


@SQLITE
def test_a_late_second_completion_is_already_done(deployed: EngineContext, applicant: Actor) -> None:
    view = _submitted(deployed, applicant)
    a_cb = next(t for t in view.open_tasks if t.element_id == "a_cb")
    form = {"a_opinion": "approve"}
    tasks.complete_task(deployed, view.id, a_cb.task_uuid, form, dept_actor("a_cb"))
    with pytest.raises(TaskAlreadyDone):
        tasks.complete_task(deployed, view.id, a_cb.task_uuid, form, dept_actor("a_cb"))


@SQLITE
def test_a_task_the_workflow_never_had_is_not_found(deployed: EngineContext, applicant: Actor) -> None:
    view = _submitted(deployed, applicant)
    with pytest.raises(TaskNotFound):
        tasks.complete_task(deployed, view.id, str(uuid.uuid4()), {}, dept_actor("a_cb"))


@SQLITE
def test_a_worklist_row_whose_task_is_gone_is_closed_by_the_next_step(deployed: EngineContext,
                                                                      applicant: Actor) -> None:
    view = _submitted(deployed, applicant)
    ghost = str(uuid.uuid4())
    with deployed.uow() as uow:  # a row for a task the stored workflow does not have
        uow.session.execute(text(
            "INSERT INTO human_tasks (case_id, task_uuid, element_id, name, lane, candidate_groups, form_key,"
            " state, created_at) SELECT case_id, :ghost, element_id, name, lane, candidate_groups, form_key,"
            " 'open', created_at FROM human_tasks WHERE case_id = :case AND element_id = 'a_cb'"),
            {"ghost": ghost, "case": view.id})
        uow.commit()
    a_cb = next(t for t in view.open_tasks if t.element_id == "a_cb")
    after = tasks.complete_task(deployed, view.id, a_cb.task_uuid, {"a_opinion": "approve"}, dept_actor("a_cb"))
    assert ghost not in {t.task_uuid for t in after.open_tasks}
    with deployed.uow() as uow:
        assert ghost not in {row.task_uuid for row in open_tasks(uow, view.id)}


def test_lost_races_are_retried_after_growing_random_pauses() -> None:
    pauses: list[float] = []
    attempts: list[int] = []

    def step() -> str:
        attempts.append(1)
        if len(attempts) < 4:
            raise ConcurrentUpdate()
        return "saved"

    assert with_retries(5, step, backoff_s=0.01, sleep=pauses.append, jitter=lambda: 0.5) == "saved"
    assert pauses == [0.005, 0.01, 0.02]
    pauses.clear()
    attempts.clear()
    with pytest.raises(ConcurrentUpdate):
        with_retries(2, lambda: (_ for _ in ()).throw(ConcurrentUpdate()), backoff_s=0.01, sleep=pauses.append)
    assert len(pauses) == 1 and 0 <= pauses[0] <= 0.01
