"""Functions diagrams may call from scripts, conditions and timer expressions.

Deadlines in approval halls are counted in working days on the State Council calendar, which a
plain ISO duration cannot express. ``workday_deadline(5, received_at)`` gives the ISO timestamp a
``timeDate`` timer needs. Time comes from the clock bound to the current step, so scripts stay
deterministic under test and replay.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

from engine.calendar import WorkCalendar
from engine.clock import CHINA_TZ
from engine.runtime.spiff.timer_clock import current_now

END_OF_DAY = time(23, 59, 59)


def _as_datetime(value: Any) -> datetime:
    if value is None:
        return current_now()
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(9, 0))
    else:
        text = str(value)
        moment = datetime.fromisoformat(text) if "T" in text or " " in text else datetime.combine(
            date.fromisoformat(text), time(9, 0))
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)


def make_functions(calendar: Callable[[], WorkCalendar],
                   closing_time: time = time(17, 30)) -> dict[str, Callable[..., Any]]:
    """The sandbox's extra globals; ``calendar`` is asked each call so newly added years apply.

    ``closing_time`` is the hall's (settings): a start at or after it, or on a rest day, counts from
    the next working day, exactly as the deadline record counts (``engine.legal_time``).
    """

    def workday_deadline(n: int, start: Any = None) -> str:
        """End (23:59:59 China time) of the n-th working day after ``start`` (default: now)."""
        due = calendar().due_date(_as_datetime(start), int(n), office_close=closing_time).due
        return datetime.combine(due, END_OF_DAY, CHINA_TZ).isoformat()

    def workday_due_date(n: int, start: Any = None) -> str:
        """The n-th working day after ``start`` as an ISO date, for notices and certificates."""
        return calendar().due_date(_as_datetime(start), int(n), office_close=closing_time).due.isoformat()

    def now_iso() -> str:
        return current_now().astimezone(CHINA_TZ).isoformat(timespec="seconds")

    def today_iso() -> str:
        return current_now().astimezone(CHINA_TZ).date().isoformat()

    def days_later(days: int, start: Any = None) -> str:
        """Calendar days (for limits set in 日 rather than 工作日), as an end-of-day ISO timestamp."""
        day = _as_datetime(start).astimezone(CHINA_TZ).date() + timedelta(days=int(days))
        return datetime.combine(day, END_OF_DAY, CHINA_TZ).isoformat()

    return {"workday_deadline": workday_deadline, "workday_due_date": workday_due_date, "now_iso": now_iso,
            "today_iso": today_iso, "days_later": days_later}
