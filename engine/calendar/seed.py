"""Where calendar entries come from: the bundled ``chinesecalendar`` data and pasted notices.

``chinesecalendar`` is only a data source for the initial load; arithmetic always goes through
``WorkCalendar`` so that administrators can correct or extend the data (a new year's notice, a
regional closure) without waiting for a library release.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from engine.calendar.days import CalendarDay
from engine.calendar.days import WorkCalendar

__all__ = [
    "HOLIDAY_NAMES_ZH",
    "national_days_from_chinesecalendar",
    "parse_state_council_notice",
    "recompute_due_dates",
]

HOLIDAY_NAMES_ZH: dict[str, str] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
"""chinesecalendar's English holiday names -> the Chinese names shown to users."""


def _zh(name: object) -> str:
    """Chinese name for a chinesecalendar holiday; an unmapped (future) name is kept rather than lost."""
    english = getattr(name, "value", name)  # the library stores Holiday.x.value, but accept the enum too
    english = str(english)
    return HOLIDAY_NAMES_ZH.get(english, english)


def national_days_from_chinesecalendar() -> tuple[list[CalendarDay], set[int]]:
    """National entries and known years from the installed ``chinesecalendar`` package.

    ``holidays`` includes the weekend days inside a holiday block; they are kept (as rest days) so
    that the day is labelled with the holiday's name. ``workdays`` holds the 调休 working weekends.
    ``known_years`` is every year the library has data for: only in those years is the plain Mon-Fri
    rule plus these entries authoritative.
    """
    import chinese_calendar  # the only import of the library in the project

    source = f"chinesecalendar {chinese_calendar.__version__}"
    entries: list[CalendarDay] = []
    for d, name in sorted(chinese_calendar.holidays.items()):
        entries.append(CalendarDay(day=d, is_workday=False, name=_zh(name), source=source))
    for d, name in sorted(chinese_calendar.workdays.items()):
        entries.append(CalendarDay(day=d, is_workday=True, name=f"调休上班（{_zh(name)}）", source=source))
    known_years = {e.day.year for e in entries}
    return entries, known_years


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KINDS = {"休": False, "班": True}


def _parse_date(text: str, line_no: int) -> date:
    # date.fromisoformat alone would also accept "20270101" and week dates, which admins never mean.
    if not _DATE_RE.match(text):
        raise ValueError(f"第{line_no}行：日期格式不正确")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"第{line_no}行：日期格式不正确") from None


def parse_state_council_notice(text: str, year: int) -> list[CalendarDay]:
    """Parse an administrator's transcription of a year's 国务院办公厅 holiday notice.

    One entry per line: ``<date> <休|班> [name]`` or ``<date>..<date> <休|班> [name]`` with ISO dates,
    e.g. ``2027-02-05..2027-02-11 休 春节``. "休" marks rest days, "班" working days (调休上班).
    Blank lines and lines starting with ``#`` are ignored. Every date must lie in ``year`` so that a
    paste under the wrong year cannot silently change another year; a date listed twice is an error
    because the intended meaning is unclear. Errors are raised as ``ValueError`` with a Chinese
    message naming the line, since they are shown to the administrator as-is.
    """
    source = f"国务院办公厅通知 {year}"
    entries: list[CalendarDay] = []
    seen: dict[date, int] = {}
    for line_no, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(maxsplit=2)
        if len(parts) < 2:
            raise ValueError(f"第{line_no}行：格式不正确，应为“日期 休/班 名称”")
        date_text, kind = parts[0], parts[1]
        name = parts[2].strip() if len(parts) == 3 else ""
        if ".." in date_text:
            first_text, _, last_text = date_text.partition("..")
            first, last = _parse_date(first_text, line_no), _parse_date(last_text, line_no)
            if last < first:
                raise ValueError(f"第{line_no}行：日期范围起止颠倒")
        else:
            first = last = _parse_date(date_text, line_no)
        if first.year != year or last.year != year:
            raise ValueError(f"第{line_no}行：日期不在{year}年内")
        if kind not in _KINDS:
            raise ValueError(f"第{line_no}行：类型应为“休”或“班”")
        d = first
        while d <= last:
            if d in seen:
                raise ValueError(f"第{line_no}行：日期{d.isoformat()}已在第{seen[d]}行出现")
            seen[d] = line_no
            entries.append(CalendarDay(day=d, is_workday=_KINDS[kind], name=name, source=source))
            d = date.fromordinal(d.toordinal() + 1)
    if not entries:
        raise ValueError("通知内容为空")
    return entries


def recompute_due_dates(
    old: WorkCalendar, new: WorkCalendar, cases: Iterable[tuple[str, date, int]]
) -> list[tuple[str, date, date]]:
    """Cases whose due date moves when ``old`` is replaced by ``new``: ``(case_id, old_due, new_due)``.

    Each case is ``(case_id, start, limit_wd)`` where ``start`` is the effective receipt day (counting
    starts the day after) and ``limit_wd`` the total working days including extensions and
    already-closed pauses. Used when a new year's notice is loaded, to audit provisional due dates
    and tell the officers concerned; cases whose due date is unchanged are left out.
    """
    moved: list[tuple[str, date, date]] = []
    for case_id, start, limit_wd in cases:
        old_due = old.add_workdays(start, limit_wd)
        new_due = new.add_workdays(start, limit_wd)
        if old_due != new_due:
            moved.append((case_id, old_due, new_due))
    return moved
