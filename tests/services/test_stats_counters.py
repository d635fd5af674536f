"""The statistics page and the board read maintained counters, and say what a scan of every case says.

The scan below is the computation the page did before the counters (every case, its deadline records,
its version's metadata): the counters must agree with it after cases are received, accepted, paused,
decided late and on time, on any later day, and rebuilding them from the stored rows must give the
counters the saves maintained.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from engine.actors import Actor
from engine.clock import CHINA_TZ
from engine.clock import FixedClock
from engine.persistence.repositories.cases import all_cases
from engine.persistence.repositories.counters import matter_counts
from engine.persistence.repositories.counters import rebuild_counters
from engine.persistence.repositories.deadlines import current_deadlines_of_cases
from engine.persistence.repositories.definitions import definitions_metadata
from engine.persistence.sql import connection
from engine.services import cases
from engine.services import tasks
from engine.services.context import EngineContext
from engine.services.deadlines import current_view
from engine.services.stats import matter_statistics
from engine.state_names import blzt_name
from tests.conftest import dept_actor
from tests.readback import get_case
from tests.services.conftest import VALID_APPLICATION

REVIEWER = dept_actor("a_cb")


def scanned_statistics(ctx: EngineContext) -> list[dict[str, Any]]:
    """Every case and its records, judged one by one (the pre-counter computation, as the oracle)."""
    today = ctx.clock.now().astimezone(CHINA_TZ).date()
    rows: dict[str, dict[str, Any]] = {}
    with ctx.uow() as uow:
        found = all_cases(uow)
        records = current_deadlines_of_cases(uow, [case.id for case in found])
        metadatas = definitions_metadata(uow, {case.definition_id for case in found})
    for case in found:
        metadata = metadatas[case.definition_id]
        entry = rows.setdefault(case.matter_code, {"matter_name": metadata["name"], "total": 0, "running": 0,
                                                   "finished": 0, "by_status": Counter(), "on_time": 0,
                                                   "overdue_running": 0, "days": []})
        entry["total"] += 1
        entry["by_status"][blzt_name(case.blzt)] += 1
        deadlines = current_view(ctx.calendar, records[case.id], today, case.status == "running")
        if case.status == "running":
            entry["running"] += 1
            if deadlines is not None and deadlines.promised_due < today:
                entry["overdue_running"] += 1
            continue
        entry["finished"] += 1
        if deadlines is None or case.completed_at is None:
            continue
        done = deadlines.closed_on or case.completed_at.astimezone(CHINA_TZ).date()
        if done <= deadlines.promised_due:
            entry["on_time"] += 1
        entry["days"].append(ctx.calendar.workdays_between(deadlines.accepted_on, done))
    for entry in rows.values():
        days = entry.pop("days")
        entry["avg_workdays"] = sum(days) / len(days) if days else None
        entry["by_status"] = dict(entry["by_status"])
    return [{"matter_code": code, **entry} for code, entry in sorted(rows.items())]


def counted_statistics(ctx: EngineContext) -> list[dict[str, Any]]:
    keys = ("matter_code", "matter_name", "total", "running", "finished", "by_status", "on_time",
            "overdue_running", "avg_workdays")
    return [{key: getattr(s, key) for key in keys} for s in matter_statistics(ctx)]


def _do(ctx: EngineContext, case_id: int, element: str, values: dict[str, str], actor: Actor) -> None:
    task = next(t for t in get_case(ctx, case_id, with_data=False).open_tasks if t.element_id == element)
    tasks.complete_task(ctx, case_id, task.task_uuid, values, actor)


def _submitted(ctx: EngineContext, applicant: Actor) -> int:
    case_id = cases.start_case(ctx, "doc_review", applicant).id
    _do(ctx, case_id, "submit", VALID_APPLICATION, applicant)
    return case_id


def test_counters_agree_with_a_scan_of_every_case_on_any_day(deployed: EngineContext, applicant: Actor,
                                                             clock: FixedClock) -> None:
    cases.start_case(deployed, "doc_review", applicant)  # received, not yet accepted: no deadline
    _submitted(deployed, applicant)  # accepted Fri 2025-09-26, promised 2025-10-10, never decided
    approved = _submitted(deployed, applicant)
    _do(deployed, approved, "review", {"a_opinion": "approve"}, REVIEWER)  # decided the same day
    paused = _submitted(deployed, applicant)
    late = _submitted(deployed, applicant)
    clock.set(clock.now().replace(month=10, day=13))
    _do(deployed, paused, "review", {"a_opinion": "supplement"}, REVIEWER)  # clock stands still from 10-13
    _do(deployed, late, "review", {"a_opinion": "reject"}, REVIEWER)  # decided after the promised date
    resumed = _submitted(deployed, applicant)
    _do(deployed, resumed, "review", {"a_opinion": "supplement"}, REVIEWER)
    clock.set(clock.now().replace(day=15))
    _do(deployed, resumed, "supplement", {"b_opinion": "approve"}, applicant)

    for day in (15, 24, 31):  # the counters hold no "today": overdue cases follow the reading day
        clock.set(clock.now().replace(day=day))
        assert counted_statistics(deployed) == scanned_statistics(deployed), day
    [stats] = matter_statistics(deployed)
    assert (stats.total, stats.running, stats.finished, stats.on_time) == (6, 4, 2, 1)
    assert stats.overdue_running >= 1 and stats.avg_workdays is not None and stats.avg_workdays > 0


def test_rebuilding_the_counters_gives_what_the_saves_maintained(deployed: EngineContext, applicant: Actor,
                                                                 clock: FixedClock) -> None:
    approved = _submitted(deployed, applicant)
    _do(deployed, approved, "review", {"a_opinion": "approve"}, REVIEWER)
    paused = _submitted(deployed, applicant)
    clock.set(clock.now().replace(month=10, day=13))
    _do(deployed, paused, "review", {"a_opinion": "supplement"}, REVIEWER)
    with deployed.uow() as uow:
        maintained = matter_counts(uow)
        assert maintained and maintained[0].paused == 1 and maintained[0].on_time == 1
        assert rebuild_counters(connection(uow)) == 2
        assert matter_counts(uow) == maintained
