"""Figures for the hall's board (大屏) and statistics page, computed from cases and their history."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from engine.clock import CHINA_TZ
from engine.persistence.repositories.cases import all_cases
from engine.persistence.repositories.deadlines import current_deadlines_of_cases
from engine.persistence.repositories.definitions import definitions_metadata
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


def matter_statistics(ctx: EngineContext) -> list[MatterStats]:
    """Per matter: counts by 办理状态, on-time rate (finished by the promised date), average working days.

    Three queries whatever the number of cases: the cases, their deadline records, their versions' metadata.
    """
    today = ctx.clock.now().astimezone(CHINA_TZ).date()
    rows: dict[str, dict] = {}
    with ctx.uow() as uow:
        cases = all_cases(uow)
        records = current_deadlines_of_cases(uow, [case.id for case in cases])
        metadatas = definitions_metadata(uow, {case.definition_id for case in cases})
    for case in cases:
        metadata = metadatas[case.definition_id]
        entry = rows.setdefault(case.matter_code, {
            "name": metadata["name"], "total": 0, "running": 0, "finished": 0, "status": Counter(), "on_time": 0,
            "overdue": 0, "days": [], "promised": metadata["promised_limit_wd"],
            "statutory": metadata["statutory_limit_wd"]})
        entry["total"] += 1
        entry["status"][blzt_name(case.blzt)] += 1
        deadlines = current_view(ctx.calendar, records[case.id], today, case.status == "running")
        if case.status == "running":
            entry["running"] += 1
            if deadlines is not None and deadlines.promised_due < today:
                entry["overdue"] += 1
            continue
        entry["finished"] += 1
        if deadlines is None or case.completed_at is None:
            continue
        # Decided on time: the day the clock stopped (the decision), else the day the case ended.
        done = deadlines.closed_on or case.completed_at.astimezone(CHINA_TZ).date()
        if done <= deadlines.promised_due:
            entry["on_time"] += 1
        entry["days"].append(ctx.calendar.workdays_between(deadlines.accepted_on, done))
    return [MatterStats(matter_code=code, matter_name=e["name"], total=e["total"], running=e["running"],
                        finished=e["finished"], by_status=dict(e["status"]), on_time=e["on_time"],
                        overdue_running=e["overdue"],
                        avg_workdays=sum(e["days"]) / len(e["days"]) if e["days"] else None,
                        promised_limit_wd=e["promised"], statutory_limit_wd=e["statutory"])
            for code, e in sorted(rows.items())]
