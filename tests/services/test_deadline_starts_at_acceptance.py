"""Rule (行政许可法 art. 42): the statutory clock starts at acceptance, 办理状态 3 — the first one — and at no
other status event: not at receipt (1), not when a department starts (8), not at a later 3.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from types import SimpleNamespace

from engine.calendar import WorkCalendar
from engine.calendar import national_days_from_chinesecalendar
from engine.clock import CHINA_TZ
from engine.clock import FixedClock
from engine.services.deadlines import compute_deadlines

METADATA = {"statutory_limit_wd": 20, "promised_limit_wd": 10}


def _at(day: int, month: int = 9) -> datetime:
    return datetime(2025, month, day, 10, 0, tzinfo=CHINA_TZ).astimezone(UTC)


def _status(code: int, moment: datetime) -> SimpleNamespace:
    return SimpleNamespace(event_type="status_changed", to_state=str(code), data_after=None, occurred_at=moment)


def test_statutory_and_promised_clocks_start_at_the_first_acceptance() -> None:
    calendar = WorkCalendar(*national_days_from_chinesecalendar())
    ctx = SimpleNamespace(calendar=calendar, clock=FixedClock(_at(20, 10)))
    received, accepted, started, reaccepted = _at(1), _at(9), _at(12), _at(16)  # 1 Sep: Monday
    events = [_status(1, received), _status(3, accepted), _status(8, started), _status(3, reaccepted)]
    deadlines = compute_deadlines(ctx, SimpleNamespace(status="running"), events, METADATA)  # type: ignore[arg-type]

    def due_from(moment: datetime, limit: int):  # type: ignore[no-untyped-def]
        return calendar.due_date(moment.astimezone(CHINA_TZ), limit, now=ctx.clock.now().date()).due

    assert deadlines is not None
    assert deadlines.accepted_on == accepted.astimezone(CHINA_TZ).date()
    assert deadlines.statutory_due == due_from(accepted, 20)
    assert deadlines.promised_due == due_from(accepted, 10)
    # Each other event would give another date, so the assertions above tell them apart.
    assert len({due_from(m, 20) for m in (received, accepted, started, reaccepted)}) == 4


def test_no_deadline_before_acceptance() -> None:
    ctx = SimpleNamespace(calendar=WorkCalendar(*national_days_from_chinesecalendar()), clock=FixedClock(_at(20)))
    events = [_status(1, _at(1)), _status(8, _at(3))]
    assert compute_deadlines(ctx, SimpleNamespace(status="running"), events, METADATA) is None  # type: ignore[arg-type]
