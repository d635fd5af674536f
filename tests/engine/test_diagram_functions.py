"""Functions diagrams call (workday_deadline, workday_due_date, days_later, now_iso, today_iso) accept every
start a diagram may hold: nothing (the bound clock), a datetime, a date, or ISO text."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime

import pytest

from engine.calendar import WorkCalendar
from engine.calendar import national_days_from_chinesecalendar
from engine.clock import CHINA_TZ
from engine.clock import FixedClock
from engine.runtime.functions import make_functions
from engine.runtime.spiff.timer_clock import clock_bound

CALENDAR = WorkCalendar(*national_days_from_chinesecalendar())
FUNCTIONS = make_functions(lambda: CALENDAR)
FRIDAY_10 = datetime(2025, 9, 26, 10, 0, tzinfo=CHINA_TZ)


@pytest.mark.parametrize("start", [FRIDAY_10, FRIDAY_10.astimezone(UTC), date(2025, 9, 26), "2025-09-26",
                                   "2025-09-26T10:00:00+08:00", "2025-09-26 10:00:00", datetime(2025, 9, 26, 10, 0)])
def test_every_kind_of_start_counts_from_the_same_receipt_day(start: object) -> None:
    # Naive values are China time; a bare date means 09:00 that day (within office hours).
    expected = CALENDAR.due_date(FRIDAY_10, 3).due
    assert FUNCTIONS["workday_due_date"](3, start) == expected.isoformat()
    assert FUNCTIONS["workday_deadline"](3, start) == datetime.combine(
        expected, datetime.max.time().replace(microsecond=0), CHINA_TZ).isoformat()


def test_a_start_after_office_hours_counts_from_the_next_working_day() -> None:
    late = datetime(2025, 9, 26, 18, 0, tzinfo=CHINA_TZ)
    assert FUNCTIONS["workday_due_date"](1, late) == CALENDAR.due_date(late, 1).due.isoformat()
    assert FUNCTIONS["workday_due_date"](1, late) != FUNCTIONS["workday_due_date"](1, FRIDAY_10)


def test_no_start_means_the_bound_clock() -> None:
    with clock_bound(FixedClock(FRIDAY_10.astimezone(UTC))):
        assert FUNCTIONS["workday_due_date"](3) == FUNCTIONS["workday_due_date"](3, FRIDAY_10)
        assert FUNCTIONS["now_iso"]() == "2025-09-26T10:00:00+08:00"
        assert FUNCTIONS["today_iso"]() == "2025-09-26"
        assert FUNCTIONS["days_later"](10) == "2025-10-06T23:59:59+08:00"
    assert FUNCTIONS["days_later"](1, date(2025, 12, 31)) == "2026-01-01T23:59:59+08:00"
