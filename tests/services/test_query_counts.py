"""Lists cost a constant number of SQL statements, however many cases they show.

A page that issued a query or two per row (the case list's current steps and deadlines, the
statistics' status events, the worklist's promised dates) gets slower with every case a hall
takes in; the count must not grow from 10 cases to 50.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from engine.actors import Actor
from engine.services import cases
from engine.services import tasks
from engine.services.casework import list_cases
from engine.services.context import EngineContext
from engine.services.hall import board_figures
from engine.services.hall import hall_statistics
from engine.services.stats import matter_statistics
from engine.services.work_rows import work_rows
from tests.conftest import dept_actor
from tests.services.conftest import VALID_APPLICATION

WINDOW = Actor("window1", "窗口", frozenset({"window_clerk"}))
REVIEWER = dept_actor("a_cb")


@contextmanager
def counted(ctx: EngineContext) -> Iterator[list[str]]:
    """The SQL statements the engine sends while the block runs."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(ctx.db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", count)


def accepted_cases(ctx: EngineContext, applicant: Actor, count: int) -> None:
    """``count`` more cases waiting for review, each accepted (办理状态 3, so it has a promised date)."""
    for _ in range(count):
        view = cases.start_case(ctx, "doc_review", applicant)
        submit = next(t for t in view.open_tasks if t.element_id == "submit")
        tasks.complete_task(ctx, view.id, submit.task_uuid, VALID_APPLICATION, applicant)


def statements_at(ctx: EngineContext, read: Callable[[], int]) -> tuple[int, int]:
    """(rows the read returned, statements it sent)."""
    with counted(ctx) as statements:
        rows = read()
    return rows, len(statements)


def test_lists_take_the_same_number_of_queries_at_10_and_50_cases(deployed: EngineContext, applicant: Actor) -> None:
    reads: dict[str, Callable[[], int]] = {
        "case list": lambda: sum(1 for c in list_cases(deployed, WINDOW) if c.deadlines is not None),
        "applicant's cases": lambda: sum(1 for c in list_cases(deployed, applicant) if c.current_steps),
        "reviewer's cases": lambda: len(list_cases(deployed, REVIEWER)),
        "statistics": lambda: sum(s.total for s in matter_statistics(deployed)),
        "worklist": lambda: sum(1 for item in tasks.list_work_items(deployed, REVIEWER) if item.due is not None),
        "worklist rows": lambda: sum(1 for r in work_rows(deployed, REVIEWER) if r.applicant and r.due),
    }
    accepted_cases(deployed, applicant, 10)
    at_10 = {name: statements_at(deployed, read) for name, read in reads.items()}
    accepted_cases(deployed, applicant, 40)
    at_50 = {name: statements_at(deployed, read) for name, read in reads.items()}
    assert {name: rows for name, (rows, _) in at_10.items()} == dict.fromkeys(reads, 10)
    assert {name: rows for name, (rows, _) in at_50.items()} == dict.fromkeys(reads, 50)
    assert {name: n for name, (_, n) in at_50.items()} == {name: n for name, (_, n) in at_10.items()}
    assert max(n for _, n in at_50.values()) <= 6, at_50


def test_board_and_hall_statistics_take_the_same_number_of_queries_at_10_and_50_cases(
        deployed: EngineContext, applicant: Actor) -> None:
    """The 大屏 is polled every 30 s: its cost must not grow with the cases the hall has taken in."""
    reads: dict[str, Callable[[], int]] = {
        "board": lambda: len(board_figures(deployed).cases),
        "board figures": lambda: board_figures(deployed).accepted_today,
        "hall statistics": lambda: sum(t.total for t in hall_statistics(deployed).by_month.values()),
    }
    accepted_cases(deployed, applicant, 10)
    at_10 = {name: statements_at(deployed, read) for name, read in reads.items()}
    accepted_cases(deployed, applicant, 40)
    at_50 = {name: statements_at(deployed, read) for name, read in reads.items()}
    assert {name: rows for name, (rows, _) in at_10.items()} == dict.fromkeys(reads, 10)
    assert {name: rows for name, (rows, _) in at_50.items()} == dict.fromkeys(reads, 50)
    assert {name: n for name, (_, n) in at_50.items()} == {name: n for name, (_, n) in at_10.items()}
    assert max(n for _, n in at_50.values()) <= 8, at_50
