"""The worklist's statements reach their rows through indexes, on SQLite and PostgreSQL.

A worklist query that reads every task or every case gets slower with each case a hall takes in;
the query plans must show an index (or the primary key) for each table the worklist reads. On
PostgreSQL a handful of rows would always be scanned, so sequential scans are disabled for the
check: what is asserted is that an index able to serve the statement exists and is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from engine.actors import Actor
from engine.services import cases
from engine.services import tasks
from engine.services.context import EngineContext
from tests.conftest import dept_actor
from tests.services.conftest import VALID_APPLICATION

REVIEWER = dept_actor("a_cb")


@contextmanager
def captured(ctx: EngineContext) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        statements.append((statement, parameters))

    event.listen(ctx.db.engine, "before_cursor_execute", keep)
    try:
        yield statements
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", keep)


def plan(ctx: EngineContext, statement: str, parameters: Any) -> str:
    with ctx.db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            return "\n".join(conn.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
        return "\n".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))


def test_the_worklist_reads_tasks_and_cases_through_indexes(deployed: EngineContext, applicant: Actor) -> None:
    for _ in range(3):
        view = cases.start_case(deployed, "doc_review", applicant)
        submit = next(t for t in view.open_tasks if t.element_id == "submit")
        tasks.complete_task(deployed, view.id, submit.task_uuid, VALID_APPLICATION, applicant)
    with captured(deployed) as statements:
        items = tasks.list_work_items(deployed, REVIEWER)
    assert len(items) == 3
    plans = [plan(deployed, s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    task_plans = [p for p in plans if "human_tasks" in p]
    case_plans = [p for p in plans if "cases" in p and "human_tasks" not in p]
    assert task_plans and case_plans, plans
    for text in task_plans + case_plans:
        assert "Seq Scan" not in text, text  # PostgreSQL
        # SQLite: a full walk is allowed only along the open-task index, which stops at the page's limit.
        assert all("ix_human_tasks_open_created" in line for line in text.splitlines() if line.startswith("SCAN")), text
    for text in case_plans:  # the page's cases are looked up by key, never read in full
        assert "SEARCH cases USING INTEGER PRIMARY KEY" in text or "Index Cond: (id = ANY" in text, text
