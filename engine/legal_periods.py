"""Periods a notice gives the applicant to act in (陈述申辩 before a revocation), kept on the deadline record.

Such a period is not a pause: it does not move the decision's time limit, and it usually runs after
the permit was decided. It is still legal time a person is told about, so it is stored like every
other deadline — on the case's deadline record (``DeadlineRecord.periods``), written in the step that
issues the notice — and the notice, the case page, the worklist and the API read the stored date.
``period_due`` is the one counting rule: the n-th working day after the notice, a notice issued at or
after the hall's closing time or on a rest day counting from the next working day; the diagram's
timer counts with the same calendar rule (``workday_due_date``), so it fires at the end of that day.

Pure: no database, no framework.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from typing import Any

from engine.calendar import WorkCalendar

#: kind -> (name, legal basis) of the periods diagrams may open (``period`` element property).
PERIOD_KINDS: dict[str, tuple[str, str]] = {
    "statement": ("陈述申辩期限", "《中华人民共和国行政许可法》第七条、第六十九条"),
}


@dataclass(frozen=True)
class Period:
    """One period the applicant was given: from the notice to ``due``; ended when they acted or it lapsed."""

    kind: str
    name: str
    basis: str
    period_wd: int
    started_on: date
    started_at: datetime
    due: date
    ended_on: date | None = None
    ended_at: datetime | None = None
    #: ``received`` (the applicant acted in time) or ``lapsed``; empty while open.
    outcome: str = ""

    @property
    def is_open(self) -> bool:
        return self.ended_on is None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Period:
        def day(value: Any) -> date | None:
            return date.fromisoformat(value) if value else None

        return cls(kind=raw["kind"], name=raw["name"], basis=raw["basis"], period_wd=int(raw["period_wd"]),
                   started_on=date.fromisoformat(raw["started_on"]),
                   started_at=datetime.fromisoformat(raw["started_at"]),
                   due=date.fromisoformat(raw["due"]), ended_on=day(raw.get("ended_on")),
                   ended_at=datetime.fromisoformat(raw["ended_at"]) if raw.get("ended_at") else None,
                   outcome=str(raw.get("outcome") or ""))


def period_due(calendar: WorkCalendar, closing: time, started_at: datetime, period_wd: int) -> date:
    """The last day of a period of ``period_wd`` working days given by a notice issued at ``started_at``."""
    return calendar.due_date(started_at, period_wd, office_close=closing).due


def opened_period(calendar: WorkCalendar, closing: time, kind: str, started_at: datetime, period_wd: int,
                  started_on: date) -> Period:
    name, basis = PERIOD_KINDS[kind]
    return Period(kind=kind, name=name, basis=basis, period_wd=period_wd, started_on=started_on,
                  started_at=started_at, due=period_due(calendar, closing, started_at, period_wd))
