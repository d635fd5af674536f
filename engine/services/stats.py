"""Figures for the hall's board (大屏) and statistics page, read from maintained counters.

The counters (``repositories.counters``) move in the transaction of every case save, so these pages
read a few hundred rows whatever the number of cases; only what depends on today or on the calendar
is worked out here: which running cases are past their promised date, and working days taken.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date
from datetime import timedelta

from engine.calendar import WorkCalendar
from engine.clock import CHINA_TZ
from engine.persistence.repositories.counters import MatterCounts
from engine.persistence.repositories.counters import matter_counts
from engine.persistence.repositories.counters import paused_running_cases
from engine.persistence.repositories.deadlines import current_deadlines_of_cases
from engine.persistence.repositories.definitions import latest_definitions
from engine.services.context import EngineContext
from engine.services.deadlines import current_view
from engine.state_names import blzt_name


@dataclass(frozen=True)
class MatterStats:
    matter_code: str
    matter_name: str
    total: int
    running: int
    finished: int
    by_status: dict[str, int]
    on_time: int
    overdue_running: int
    avg_workdays: float | None
    promised_limit_wd: int
    statutory_limit_wd: int

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.finished if self.finished else None


def _workday_index(calendar: WorkCalendar, days: set[date]) -> dict[date, int]:
    """``W(d)`` for each day: working days in ``(first day, d]``, so ``workdays_between(a, d) == W(d) − W(a)``."""
    index, found, d, last = 0, {}, min(days), max(days)
    while d <= last:
        if d in days:
            found[d] = index
        d += timedelta(days=1)
        index += calendar.is_workday(d)
    return found


def _average_workdays(calendar: WorkCalendar, counts: MatterCounts) -> float | None:
    """Mean of ``workdays_between(accepted, done)`` over finished cases, from the per-day counts."""
    finished = sum(counts.done.values())
    if not finished:
        return None
    w = _workday_index(calendar, {*counts.accepted, *counts.done})
    taken = sum(n * w[d] for d, n in counts.done.items()) - sum(n * w[d] for d, n in counts.accepted.items())
    return taken / finished


def matter_statistics(ctx: EngineContext) -> list[MatterStats]:
    """Per matter: counts by 办理状态, on-time rate (finished by the promised date), average working days.

    Four queries whatever the number of cases: the counters, the newest versions' metadata, the
    running cases whose clock is paused and those cases' deadline records.
    """
    today = ctx.clock.now().astimezone(CHINA_TZ).date()
    with ctx.uow() as uow:
        counts = matter_counts(uow)
        metadatas = {row.matter_code: json.loads(row.metadata_json) for row in latest_definitions(uow)}
        paused = paused_running_cases(uow)
        records = current_deadlines_of_cases(uow, [case_id for case_id, _ in paused]) if paused else {}
    overdue_paused: Counter[str] = Counter()
    for case_id, matter in paused:
        deadlines = current_view(ctx.calendar, records[case_id], today, True)
        if deadlines is not None and deadlines.promised_due < today:
            overdue_paused[matter] += 1
    stats = []
    for c in counts:
        if not c.total:
            continue
        metadata = metadatas.get(c.matter_code, {})
        by_status: Counter[str] = Counter()
        for code, n in c.by_blzt.items():
            by_status[blzt_name(code)] += n
        overdue = sum(n for due, n in c.due.items() if due < today) + overdue_paused[c.matter_code]
        stats.append(MatterStats(matter_code=c.matter_code, matter_name=metadata.get("name", c.matter_code),
                                 total=c.total, running=c.running, finished=c.finished,
                                 by_status={k: v for k, v in by_status.items() if v}, on_time=c.on_time,
                                 overdue_running=overdue, avg_workdays=_average_workdays(ctx.calendar, c),
                                 promised_limit_wd=metadata.get("promised_limit_wd", 0),
                                 statutory_limit_wd=metadata.get("statutory_limit_wd", 0)))
    return stats
