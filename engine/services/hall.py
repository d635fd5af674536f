"""The hall's figures: today's 受理 / 办结 / 超期 / 好评率 for the board (大屏), and statistics by matter,
department and month with 好差评 rates per department.

A case still being filled in (no 办理状态 yet: the applicant has not sent it) is nobody's business but the
applicant's: it is never counted or shown. 好差评 follows the national five levels; 基本满意 and better
count as 好评. Everything is read in a constant number of queries.
"""

from __future__ import annotations

import json
from collections import Counter
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime

from engine.clock import CHINA_TZ
from engine.persistence.repositories.cases import all_cases
from engine.persistence.repositories.deadlines import current_deadlines_of_cases
from engine.persistence.repositories.definitions import definitions_metadata
from engine.persistence.repositories.history import submissions_with_key
from engine.persistence.repositories.tasks import open_tasks_of_cases
from engine.persistence.unit_of_work import UnitOfWork
from engine.policy.projection import masked_case_number
from engine.services.context import EngineContext
from engine.services.deadlines import current_view
from engine.services.stats import MatterStats
from engine.services.stats import matter_statistics
from engine.state_names import blzt_name
from engine.tabular import write_csv

#: The 好差评 form's field and its five levels (forms/service_rating.form); the first three are 好评.
RATING_KEY = "rating"
GOOD_RATINGS = frozenset({"very_satisfied", "satisfied", "basically_satisfied"})
RATING_LEVELS = ("very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied")
#: Groups whose open tasks queue at a window of the hall.
WINDOW_GROUPS = frozenset({"window_clerk", "fallback_clerk"})


@dataclass(frozen=True)
class BoardCase:
    masked_number: str
    matter_name: str
    status_name: str
    promised_due: date | None
    promised_state: str


@dataclass(frozen=True)
class BoardFigures:
    """The 大屏: today's counts, each window's queue, the running cases (numbers masked)."""

    today: date
    now: datetime
    accepted_today: int
    finished_today: int
    overdue: int
    good_rate: float | None
    ratings: int
    window_queues: dict[str, int]
    cases: tuple[BoardCase, ...]


@dataclass
class Tally:
    """Counts of one group of cases (a matter, a department or a month)."""

    total: int = 0
    running: int = 0
    finished: int = 0
    on_time: int = 0
    overdue: int = 0
    ratings: Counter[str] = field(default_factory=Counter)

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.finished if self.finished else None

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    @property
    def good_rate(self) -> float | None:
        good = sum(n for level, n in self.ratings.items() if level in GOOD_RATINGS)
        return good / self.rated if self.rated else None


@dataclass(frozen=True)
class HallStatistics:
    by_matter: dict[str, Tally]
    by_department: dict[str, Tally]
    #: "2025-09" → tally of the cases received that month (China time).
    by_month: dict[str, Tally]
    #: The per-matter table with 办理状态 distribution and average working days (``stats.matter_statistics``).
    matters: tuple[MatterStats, ...] = ()


def _ratings(uow: UnitOfWork) -> dict[int, str]:
    """Each case's latest 好差评 level (one evaluation per case; a later one replaces an earlier)."""
    found: dict[int, str] = {}
    for row in submissions_with_key(uow, RATING_KEY):
        value = json.loads(row.data_after or "{}").get(RATING_KEY)
        if value in RATING_LEVELS:
            found[row.case_id] = value
    return found


def board_figures(ctx: EngineContext, limit: int = 50) -> BoardFigures:
    """Today's figures (China time), the queue at each window and the newest running cases, drafts left out."""
    now = ctx.clock.now()
    today = now.astimezone(CHINA_TZ).date()
    with ctx.uow() as uow:
        cases = [c for c in all_cases(uow) if c.blzt is not None]
        records = current_deadlines_of_cases(uow, [c.id for c in cases])
        metadata = definitions_metadata(uow, {c.definition_id for c in cases})
        running = [c for c in cases if c.status == "running"]
        open_rows = open_tasks_of_cases(uow, [c.id for c in running])
        ratings = _ratings(uow)
    accepted = finished = overdue = 0
    shown: list[BoardCase] = []
    for case in cases:
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
    rated = [ratings[c.id] for c in cases if c.id in ratings]
    good = sum(1 for level in rated if level in GOOD_RATINGS)
    return BoardFigures(today=today, now=now, accepted_today=accepted, finished_today=finished, overdue=overdue,
                        good_rate=good / len(rated) if rated else None, ratings=len(rated),
                        window_queues=dict(sorted(queues.items())), cases=tuple(shown))


def hall_statistics(ctx: EngineContext) -> HallStatistics:
    """Cases by matter, by department (the matter's 实施部门) and by month received, with on-time and 好评 rates."""
    today = ctx.clock.now().astimezone(CHINA_TZ).date()
    with ctx.uow() as uow:
        cases = [c for c in all_cases(uow) if c.blzt is not None]
        records = current_deadlines_of_cases(uow, [c.id for c in cases])
        metadata = definitions_metadata(uow, {c.definition_id for c in cases})
        ratings = _ratings(uow)
    by_matter: dict[str, Tally] = defaultdict(Tally)
    by_department: dict[str, Tally] = defaultdict(Tally)
    by_month: dict[str, Tally] = defaultdict(Tally)
    for case in sorted(cases, key=lambda c: c.id):
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


CSV_HEADERS = ("分组", "名称", "办件总数", "在办", "办结", "按时办结率", "在办超期", "评价数", "好评率")


def _percent(rate: float | None) -> str:
    return f"{rate * 100:.0f}%" if rate is not None else ""


def statistics_csv(ctx: EngineContext) -> bytes:
    """The statistics page as one CSV (UTF-8 with BOM, opens in Excel/WPS): a row per matter, department, month."""
    figures = hall_statistics(ctx)
    groups = (("事项", figures.by_matter), ("部门", figures.by_department), ("月份", figures.by_month))
    rows = [(group, name, str(t.total), str(t.running), str(t.finished), _percent(t.on_time_rate), str(t.overdue),
             str(t.rated), _percent(t.good_rate))
            for group, table in groups for name, t in table.items()]
    return write_csv(CSV_HEADERS, rows)
