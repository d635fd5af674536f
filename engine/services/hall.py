"""The hall's figures: today's 受理 / 办结 / 超期 / 好评率 for the board (大屏), and statistics by matter,
department and month with 好差评 rates per department.

A case still being filled in (no 办理状态 yet: the applicant has not sent it) is nobody's business but the
applicant's: it is never counted or shown. 好差评 follows the national five levels; 基本满意 and better
count as 好评. Everything is read from maintained counters and a constant number of small queries
(``repositories.hall``), never by scanning every case: the board is polled every 30 s.
"""

from __future__ import annotations

from collections import Counter
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime

from engine.case_facts import RATING_KEY  # noqa: F401 - re-exported for callers of this module
from engine.case_facts import RATING_LEVELS
from engine.clock import CHINA_TZ
from engine.persistence.repositories.cases import newest_running_cases
from engine.persistence.repositories.deadlines import current_deadlines_of_cases
from engine.persistence.repositories.definitions import definitions_metadata
from engine.persistence.repositories.hall import HallCase
from engine.persistence.repositories.hall import hall_counts
from engine.persistence.repositories.hall import open_task_groups
from engine.persistence.repositories.hall import paused_sent_cases
from engine.persistence.unit_of_work import UnitOfWork
from engine.policy.projection import masked_case_number
from engine.services.context import EngineContext
from engine.services.deadlines import current_view
from engine.services.stats import MatterStats
from engine.services.stats import matter_statistics
from engine.state_names import blzt_name
from engine.tabular import write_csv

#: 基本满意 and better count as 好评 (the levels and the form's field are ``engine.case_facts``'s).
GOOD_RATINGS = frozenset({"very_satisfied", "satisfied", "basically_satisfied"})
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


def _ratings(kinds: dict[str, dict[str, int]]) -> Counter[tuple[str, str]]:
    """(month received, level) → rated cases of one version, from the ``rating`` counters ("month|level")."""
    found: Counter[tuple[str, str]] = Counter()
    for key, n in kinds.get("rating", {}).items():
        month, _, level = key.partition("|")
        if level in RATING_LEVELS:
            found[(month, level)] += n
    return found


def _month(received_at: datetime) -> str:
    return received_at.astimezone(CHINA_TZ).strftime("%Y-%m")


def _overdue_paused(ctx: EngineContext, uow: UnitOfWork, today: date) -> list[HallCase]:
    """The running sent cases whose clock stands still and whose (moving) promised date is already past."""
    paused = paused_sent_cases(uow)
    records = current_deadlines_of_cases(uow, [case.id for case in paused]) if paused else {}
    late = []
    for case in paused:
        deadlines = current_view(ctx.calendar, records[case.id], today, True)
        if deadlines is not None and deadlines.promised_due < today:
            late.append(case)
    return late


def _overdue_by_month(kinds: dict[str, dict[str, int]], today: date) -> Counter[str]:
    """Running, not paused cases past their promised date, by month received (``due`` keys are "month|day")."""
    found: Counter[str] = Counter()
    for key, n in kinds.get("due", {}).items():
        month, _, due = key.partition("|")
        if date.fromisoformat(due) < today:
            found[month] += n
    return found


def board_figures(ctx: EngineContext, limit: int = 50) -> BoardFigures:
    """Today's figures (China time), the queue at each window and the newest running cases, drafts left out.

    A constant number of queries: the hall counters (the 好差评 given among them), the newest ``limit``
    running cases with their deadlines and versions, the paused cases, the open tasks grouped by window.
    """
    now = ctx.clock.now()
    today = now.astimezone(CHINA_TZ).date()
    with ctx.uow() as uow:
        counts = hall_counts(uow)
        newest = newest_running_cases(uow, limit)
        records = current_deadlines_of_cases(uow, [c.id for c in newest])
        metadata = definitions_metadata(uow, {c.definition_id for c in newest})
        late_paused = _overdue_paused(ctx, uow, today)
        groups = open_task_groups(uow)
    day = today.isoformat()
    accepted = sum(kinds.get("accepted_day", {}).get(day, 0) for kinds in counts.values())
    finished = sum(kinds.get("finished_day", {}).get(day, 0) for kinds in counts.values())
    overdue = sum(sum(_overdue_by_month(kinds, today).values()) for kinds in counts.values()) + len(late_paused)
    shown: list[BoardCase] = []
    for case in newest:
        deadlines = current_view(ctx.calendar, records[case.id], today, True)
        shown.append(BoardCase(masked_case_number(case.case_number), metadata[case.definition_id]["name"],
                               blzt_name(case.blzt), deadlines.promised_due if deadlines else None,
                               deadlines.promised_state if deadlines else "normal"))
    queues: Counter[str] = Counter()
    for lane, task_groups, n in groups:
        if WINDOW_GROUPS.intersection(task_groups):
            queues[lane or "综合受理窗口"] += n
    levels: Counter[str] = Counter()
    for kinds in counts.values():
        for (_month_received, level), n in _ratings(kinds).items():
            levels[level] += n
    rated = sum(levels.values())
    good = sum(n for level, n in levels.items() if level in GOOD_RATINGS)
    return BoardFigures(today=today, now=now, accepted_today=accepted, finished_today=finished, overdue=overdue,
                        good_rate=good / rated if rated else None, ratings=rated,
                        window_queues=dict(sorted(queues.items())), cases=tuple(shown))


def hall_statistics(ctx: EngineContext) -> HallStatistics:
    """Cases by matter, by department (the matter's 实施部门) and by month received, with on-time and 好评 rates.

    Read from the hall counters (per version and month received, 好差评 levels included) and the paused
    cases: the same few queries at 10 cases as at 100k.
    """
    today = ctx.clock.now().astimezone(CHINA_TZ).date()
    with ctx.uow() as uow:
        counts = hall_counts(uow)
        metadata = definitions_metadata(uow, set(counts))
        late_paused = _overdue_paused(ctx, uow, today)
    by_matter: dict[str, Tally] = defaultdict(Tally)
    by_department: dict[str, Tally] = defaultdict(Tally)
    by_month: dict[str, Tally] = defaultdict(Tally)

    def tallies(definition_id: int, month: str) -> tuple[Tally, ...]:
        meta = metadata[definition_id]
        return by_matter[meta["name"]], by_department[meta["department"]], by_month[month]

    for definition_id, kinds in sorted(counts.items()):
        overdue = _overdue_by_month(kinds, today)
        for month, total in sorted(kinds.get("total", {}).items()):
            for tally in tallies(definition_id, month):
                tally.total += total
                tally.running += kinds.get("running", {}).get(month, 0)
                tally.finished += kinds.get("finished", {}).get(month, 0)
                tally.on_time += kinds.get("on_time", {}).get(month, 0)
                tally.overdue += overdue[month]
    for case in late_paused:
        for tally in tallies(case.definition_id, _month(case.received_at)):
            tally.overdue += 1
    for definition_id, kinds in sorted(counts.items()):
        for (month, level), n in sorted(_ratings(kinds).items()):
            for tally in tallies(definition_id, month):
                tally.ratings[level] += n
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
