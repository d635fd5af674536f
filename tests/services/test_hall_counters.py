"""The board (大屏) and the statistics page read counters, and say what a scan of every case says.

The scan below is the computation those pages did before the hall counters (every case, its deadline
records, its version's metadata, every 好差评 submission): the counters must agree with it for cases
of two departments, drafts, accepted and running, paused, decided and rated, on any later day; and
rebuilding the counters from the stored rows must give what the saves maintained.
"""

from __future__ import annotations

import json
from collections import Counter
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from engine.actors import Actor
from engine.clock import CHINA_TZ
from engine.clock import FixedClock
from engine.persistence.base import Base
from engine.persistence.repositories.cases import all_cases
from engine.persistence.repositories.counters import rebuild_counters
from engine.persistence.repositories.deadlines import current_deadlines_of_cases
from engine.persistence.repositories.definitions import definitions_metadata
from engine.persistence.repositories.hall import hall_counts
from engine.persistence.repositories.history import submissions_with_key
from engine.persistence.repositories.tasks import open_tasks_of_cases
from engine.persistence.sql import connection
from engine.policy.projection import masked_case_number
from engine.services import cases
from engine.services.catalogue.seed import seed_catalogue
from engine.services.context import EngineContext
from engine.services.deadlines import current_view
from engine.services.deploy import deploy_path
from engine.services.hall import GOOD_RATINGS
from engine.services.hall import RATING_KEY
from engine.services.hall import RATING_LEVELS
from engine.services.hall import WINDOW_GROUPS
from engine.services.hall import BoardCase
from engine.services.hall import BoardFigures
from engine.services.hall import HallStatistics
from engine.services.hall import Tally
from engine.services.hall import board_figures
from engine.services.hall import hall_statistics
from engine.services.stats import matter_statistics
from engine.settings import EngineSettings
from engine.state_names import blzt_name
from tests.conftest import ROOT
from tests.processes.test_general_permit import ADMIN
from tests.processes.test_general_permit import APPLICANT
from tests.processes.test_general_permit import APPLICATION
from tests.processes.test_general_permit import do
from tests.processes.test_general_permit import pattern_entries
from tests.processes.test_general_permit import run_to_certificate


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[EngineContext]:
    """Every shipped matter deployed and the sample hall's catalogue loaded; Friday 2025-09-26 10:00."""
    settings = EngineSettings(database_url=f"sqlite:///{tmp_path / 'hall.sqlite3'}",
                              processes_dir=ROOT / "processes", forms_dir=ROOT / "forms",
                              uploads_dir=tmp_path / "uploads")
    ctx = EngineContext.create(settings, FixedClock(datetime(2025, 9, 26, 2, 0, tzinfo=UTC)))
    Base.metadata.create_all(ctx.db.engine)
    deploy_path(ctx, settings.processes_dir, Actor("designer", groups=frozenset({"designer"})))
    seed_catalogue(ctx, ADMIN)
    yield ctx
    ctx.dispose()


def _scanned_ratings(uow) -> dict[int, str]:  # type: ignore[no-untyped-def]
    found: dict[int, str] = {}
    for row in submissions_with_key(uow, RATING_KEY):
        value = json.loads(row.data_after or "{}").get(RATING_KEY)
        if value in RATING_LEVELS:
            found[row.case_id] = value
    return found


def scanned_board(ctx: EngineContext, limit: int = 50) -> BoardFigures:
    """The board as computed before the counters: every sent case judged one by one (the oracle)."""
    now = ctx.clock.now()
    today = now.astimezone(CHINA_TZ).date()
    with ctx.uow() as uow:
        found = [c for c in all_cases(uow) if c.status != "draft"]  # drafts are not cases
        records = current_deadlines_of_cases(uow, [c.id for c in found])
        metadata = definitions_metadata(uow, {c.definition_id for c in found})
        running = [c for c in found if c.status == "running"]
        open_rows = open_tasks_of_cases(uow, [c.id for c in running])
        ratings = _scanned_ratings(uow)
    accepted = finished = overdue = 0
    shown: list[BoardCase] = []
    for case in found:
        deadlines = current_view(ctx.calendar, records[case.id], today, case.status == "running")
        if deadlines is not None and deadlines.accepted_on == today:
            accepted += 1
        if case.completed_at is not None and case.completed_at.astimezone(CHINA_TZ).date() == today:
            finished += 1
        if case.status == "running":
            if deadlines is not None and deadlines.promised_due < today:
                overdue += 1
            if len(shown) < limit:
                shown.append(BoardCase(masked_case_number(case.case_number), metadata[case.definition_id]["name"],
                                       blzt_name(case.blzt), deadlines.promised_due if deadlines else None,
                                       deadlines.promised_state if deadlines else "normal"))
    queues: Counter[str] = Counter()
    for rows in open_rows.values():
        for row in rows:
            if WINDOW_GROUPS.intersection(row.groups):
                queues[row.lane or "综合受理窗口"] += 1
    rated = [ratings[c.id] for c in found if c.id in ratings]
    good = sum(1 for level in rated if level in GOOD_RATINGS)
    return BoardFigures(today=today, now=now, accepted_today=accepted, finished_today=finished, overdue=overdue,
                        good_rate=good / len(rated) if rated else None, ratings=len(rated),
                        window_queues=dict(sorted(queues.items())), cases=tuple(shown))


def scanned_statistics(ctx: EngineContext) -> HallStatistics:
    """The statistics as computed before the counters (the oracle)."""
    today = ctx.clock.now().astimezone(CHINA_TZ).date()
    with ctx.uow() as uow:
        found = [c for c in all_cases(uow) if c.status != "draft"]  # drafts are not cases
        records = current_deadlines_of_cases(uow, [c.id for c in found])
        metadata = definitions_metadata(uow, {c.definition_id for c in found})
        ratings = _scanned_ratings(uow)
    by_matter: dict[str, Tally] = defaultdict(Tally)
    by_department: dict[str, Tally] = defaultdict(Tally)
    by_month: dict[str, Tally] = defaultdict(Tally)
    for case in sorted(found, key=lambda c: c.id):
        meta = metadata[case.definition_id]
        deadlines = current_view(ctx.calendar, records[case.id], today, case.status == "running")
        month = case.received_at.astimezone(CHINA_TZ).strftime("%Y-%m")
        for tally in (by_matter[meta["name"]], by_department[meta["department"]], by_month[month]):
            tally.total += 1
            if case.id in ratings:
                tally.ratings[ratings[case.id]] += 1
            if case.status == "running":
                tally.running += 1
                if deadlines is not None and deadlines.promised_due < today:
                    tally.overdue += 1
                continue
            tally.finished += 1
            if deadlines is not None and case.completed_at is not None:
                done = deadlines.closed_on or case.completed_at.astimezone(CHINA_TZ).date()
                tally.on_time += done <= deadlines.promised_due
    return HallStatistics(dict(sorted(by_matter.items())), dict(sorted(by_department.items())),
                          dict(sorted(by_month.items())), tuple(matter_statistics(ctx)))


FOOD_APPLICATION = {
    "operator_name": "玄武区小王面馆", "uscc": "91320100MA1M11110A", "legal_representative": "王小明",
    "premises_address": "南京市玄武区中山路1号", "business_items": ["hot_food", "cold_food"],
    "premises_area_m2": 80, "contact_mobile": "13800138000", "delivery_method": "window",
}


def _accepted(ctx: EngineContext, code: str) -> int:
    """A case applied for and accepted at the window, left waiting for 承办."""
    view = cases.start_case(ctx, code, APPLICANT, owner_id=APPLICANT.user_id)
    do(ctx, view.id, "apply", FOOD_APPLICATION if code == "food_business" else APPLICATION)
    do(ctx, view.id, "rc_check", {"reception_decision": "accept"})
    return view.id


def test_board_and_statistics_counters_agree_with_a_scan_on_any_day(hall: EngineContext) -> None:
    clock = hall.clock
    assert isinstance(clock, FixedClock)
    entries = pattern_entries(hall)
    first = entries[0]
    other = next(e for e in entries if e.department_code != first.department_code)
    cases.start_case(hall, first.code, APPLICANT, owner_id=APPLICANT.user_id)  # a draft: never counted
    _accepted(hall, first.code)
    run_to_certificate(hall, first)  # decided, picked up and rated on the day
    applied = cases.start_case(hall, other.code, APPLICANT, owner_id=APPLICANT.user_id)
    do(hall, applied.id, "apply", APPLICATION)  # sent, waiting at the window
    clock.set(datetime(2025, 10, 20, 2, 0, tzinfo=UTC))
    _accepted(hall, other.code)
    run_to_certificate(hall, other)
    _accepted(hall, "food_business")  # another matter of another department (市场监管)

    for day in (datetime(2025, 10, 20, 2, 0, tzinfo=UTC), datetime(2025, 11, 28, 9, 0, tzinfo=UTC)):
        clock.set(day)
        assert board_figures(hall) == scanned_board(hall), day
        assert hall_statistics(hall) == scanned_statistics(hall), day
    board, stats = board_figures(hall), hall_statistics(hall)
    assert board.ratings == 2 and board.good_rate == 1.0 and board.overdue >= 2 and len(board.cases) == 4
    assert len(stats.by_department) == 2 and list(stats.by_month) == ["2025-09", "2025-10"]
    assert sum(t.total for t in stats.by_month.values()) == 6
    clock.set(datetime(2025, 10, 20, 2, 0, tzinfo=UTC))
    today = board_figures(hall)
    assert (today.accepted_today, today.finished_today) == (3, 1)


def test_rebuilding_gives_the_hall_counters_the_saves_maintained(hall: EngineContext) -> None:
    entry = pattern_entries(hall)[0]
    cases.start_case(hall, entry.code, APPLICANT, owner_id=APPLICANT.user_id)
    _accepted(hall, entry.code)
    run_to_certificate(hall, entry)
    with hall.uow() as uow:
        maintained = hall_counts(uow)
        assert maintained and rebuild_counters(connection(uow)) == 3
        assert hall_counts(uow) == maintained
