"""Racing clerks and departments never lose data: threads against real SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from engine.actors import Actor
from engine.errors import ConcurrentUpdate
from engine.errors import NotAllowed
from engine.errors import TaskNotReady
from engine.services import cases
from engine.services import tasks
from engine.services.context import EngineContext
from tests.conftest import dept_actor
from tests.readback import get_case
from tests.services.conftest import VALID_APPLICATION


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Start all calls at the same instant; return each result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each racer got
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _submitted(ctx: EngineContext, applicant: Actor):  # type: ignore[no-untyped-def]
    view = cases.start_case(ctx, "parallel_review", applicant)
    submit = next(t for t in view.open_tasks if t.element_id == "submit")
    return tasks.complete_task(ctx, view.id, submit.task_uuid, VALID_APPLICATION, applicant)


@pytest.mark.parametrize("round_", range(3))
def test_two_clerks_completing_the_same_task_one_wins(deployed: EngineContext, applicant: Actor, round_: int) -> None:
    view = _submitted(deployed, applicant)
    a_cb = next(t for t in view.open_tasks if t.element_id == "a_cb")
    results = race(
        lambda: tasks.complete_task(deployed, view.id, a_cb.task_uuid, {"a_opinion": "approve", "a_comment": "甲"},
                                    dept_actor("a_cb", "clerk1")),
        lambda: tasks.complete_task(deployed, view.id, a_cb.task_uuid, {"a_opinion": "reject", "a_comment": "乙"},
                                    dept_actor("a_cb", "clerk2")),
    )
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], TaskNotReady | ConcurrentUpdate)
    history = cases.case_history(deployed, view.id)
    submissions = [h for h in history if h.event_type == "form_submitted" and h.element_id == "a_cb"]
    assert len(submissions) == 1
    final = get_case(deployed, view.id)
    assert final.data["a_comment"] == submissions[0].payload["a_comment"]  # the winner's data, whole
    assert [t.element_id for t in final.open_tasks if t.element_id.startswith("a_")] == ["a_sh"]


@pytest.mark.parametrize("round_", range(3))
def test_parallel_branches_finishing_at_once_both_count(deployed: EngineContext, applicant: Actor,
                                                        round_: int) -> None:
    view = _submitted(deployed, applicant)
    for element in ("a_cb", "a_sh", "b_cb", "b_sh"):
        task = next(t for t in view.open_tasks if t.element_id == element)
        view = tasks.complete_task(deployed, view.id, task.task_uuid, {f"{element[0]}_opinion": "approve"},
                                   dept_actor(element))
    a_pz = next(t for t in view.open_tasks if t.element_id == "a_pz")
    b_pz = next(t for t in view.open_tasks if t.element_id == "b_pz")
    a_form = {"a_opinion": "approve", "a_comment": "住建同意"}
    b_form = {"b_opinion": "approve", "b_comment": "城管同意"}
    results = race(
        lambda: tasks.complete_task(deployed, view.id, a_pz.task_uuid, a_form, dept_actor("a_pz")),
        lambda: tasks.complete_task(deployed, view.id, b_pz.task_uuid, b_form, dept_actor("b_pz")),
    )
    assert [type(r).__name__ for r in results] == ["CaseView", "CaseView"]
    final = get_case(deployed, view.id)
    assert final.status == "completed"
    assert (final.data["a_comment"], final.data["b_comment"]) == ("住建同意", "城管同意")
    assert final.data["both_approved"] is True
    history = cases.case_history(deployed, view.id)
    assert [h.seq for h in history] == list(range(1, len(history) + 1))
    assert sum(1 for h in history if h.event_type == "case_completed") == 1


def test_racing_claims_have_one_winner(deployed: EngineContext, applicant: Actor) -> None:
    view = _submitted(deployed, applicant)
    a_cb = next(t for t in view.open_tasks if t.element_id == "a_cb")
    results = race(*[
        (lambda user=user: tasks.claim_task(deployed, view.id, a_cb.task_uuid, dept_actor("a_cb", user)))
        for user in ("c1", "c2", "c3")])
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1
    assert all(isinstance(r, NotAllowed | ConcurrentUpdate) for r in results if isinstance(r, Exception))
    assert sum(1 for h in cases.case_history(deployed, view.id) if h.event_type == "task_claimed") == 1


def test_concurrent_submissions_get_distinct_case_numbers(deployed: EngineContext, applicant: Actor) -> None:
    drafts = [cases.start_case(deployed, "parallel_review", applicant) for _ in range(6)]

    def submit(draft):  # type: ignore[no-untyped-def]
        return lambda: tasks.complete_task(deployed, draft.id, draft.open_tasks[0].task_uuid, VALID_APPLICATION,
                                           applicant)

    results = race(*[submit(draft) for draft in drafts])
    numbers = [r.case_number for r in results if not isinstance(r, Exception)]
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, ConcurrentUpdate) for e in errors)
    assert len(set(numbers)) == len(numbers) >= 1
