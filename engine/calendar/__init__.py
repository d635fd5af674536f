"""Working-day calendar for approval deadlines (工作日计算).

Framework-free: takes plain ``CalendarDay`` entries and dates in, gives dates out. Storage of the
entries lives elsewhere; ``seed`` turns the bundled library data and pasted notices into entries.
"""

from engine.calendar.days import PROVISIONAL_FIXED_HOLIDAYS
from engine.calendar.days import CalendarDay
from engine.calendar.days import DeadlineState
from engine.calendar.days import DueDate
from engine.calendar.days import WorkCalendar
from engine.calendar.seed import HOLIDAY_NAMES_ZH
from engine.calendar.seed import national_days_from_chinesecalendar
from engine.calendar.seed import parse_state_council_notice
from engine.calendar.seed import recompute_due_dates

__all__ = [
    "HOLIDAY_NAMES_ZH",
    "PROVISIONAL_FIXED_HOLIDAYS",
    "CalendarDay",
    "DeadlineState",
    "DueDate",
    "WorkCalendar",
    "national_days_from_chinesecalendar",
    "parse_state_council_notice",
    "recompute_due_dates",
]
