"""Working-day (工作日) arithmetic for statutory and promised approval deadlines.

Deadlines for Chinese government approvals are expressed in working days, and the set of working
days is decided each year by the State Council (国务院办公厅) notice: holidays fall on weekdays,
and some weekends become working days (调休上班). This module knows nothing about where that data
comes from (see ``engine.calendar.seed``) or where it is stored; it takes plain ``CalendarDay``
entries in and answers questions about dates.

Counting follows 中华人民共和国民法典 art. 201: the day on which a period starts is not counted, the
period starts on the following day. So "N working days from receipt" is the N-th working day after
the (effective) receipt day.

Years whose notice has not been published yet are *provisional*: weekends are rest days and only
the fixed-date holidays are assumed (元旦 Jan 1, 劳动节 May 1-2, 国庆节 Oct 1-3), because the movable
ones (春节, 清明, 端午, 中秋) and the 调休 arrangements cannot be predicted. Any result that depends on
a provisional year is flagged so it can be re-audited when the notice arrives.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import timezone

__all__ = [
    "CalendarDay",
    "DeadlineState",
    "DueDate",
    "PROVISIONAL_FIXED_HOLIDAYS",
    "WorkCalendar",
]

_ONE_DAY = timedelta(days=1)

_CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
"""China Standard Time (no DST since 1991); an aware receipt time is judged by the local clock."""

PROVISIONAL_FIXED_HOLIDAYS: dict[tuple[int, int], str] = {
    (1, 1): "元旦",
    (5, 1): "劳动节",
    (5, 2): "劳动节",
    (10, 1): "国庆节",
    (10, 2): "国庆节",
    (10, 3): "国庆节",
}
"""(month, day) -> name of the holidays assumed for a year whose notice is not loaded yet.

Only dates that are rest days every year by statute (全国年节及纪念日放假办法) regardless of how the
notice arranges the surrounding 调休; anything else would be a guess.
"""

_MAX_SCAN_DAYS = 400
"""Give up looking for a working day after this many consecutive rest days; only bad data does that."""


@dataclass(frozen=True)
class CalendarDay:
    """An explicit calendar entry that overrides the plain Mon-Fri rule for one date.

    Used for national holidays (including the weekend days inside a holiday block), 调休 working
    weekends, and regional closures (``region`` set, e.g. a city's typhoon day). ``source`` records
    where the entry came from so an audit can tell library data from an administrator's paste.
    """

    day: date
    is_workday: bool
    name: str = ""
    source: str = ""
    region: str = ""


@dataclass(frozen=True)
class DueDate:
    """A computed deadline; ``provisional`` means it relies on a year whose notice is not loaded."""

    due: date
    provisional: bool


class DeadlineState(enum.StrEnum):
    """Traffic-light state of a deadline; a ``str`` so it can be stored and compared as plain text."""

    NORMAL = "normal"
    YELLOW = "yellow"
    RED = "red"
    DONE = "done"


def _as_date(value: date) -> date:
    """Drop the time part of a datetime; comparing a datetime with a date raises TypeError."""
    return value.date() if isinstance(value, datetime) else value


class WorkCalendar:
    """Answers "is this a working day" and does deadline arithmetic over explicit entries.

    Precedence for a date: an entry for this calendar's ``region`` wins over a national entry
    (``region == ""``); a national entry wins over the default rule. Entries for other regions are
    ignored. If several entries share a date and region, the last one given wins, so a later
    notice can correct earlier data by being appended.

    The default rule: in a known year Mon-Fri are working days and weekends are not; in an unknown
    (provisional) year the fixed-date holidays in ``PROVISIONAL_FIXED_HOLIDAYS`` are also off.
    """

    def __init__(
        self,
        entries: Iterable[CalendarDay] = (),
        known_years: Iterable[int] = (),
        *,
        region: str = "",
    ) -> None:
        self.region = region
        self.known_years: frozenset[int] = frozenset(known_years)
        self._entries: tuple[CalendarDay, ...] = tuple(entries)
        self._national: dict[date, CalendarDay] = {}
        self._regional: dict[date, CalendarDay] = {}
        for entry in self._entries:
            if not entry.region:
                self._national[entry.day] = entry
            elif region and entry.region == region:
                self._regional[entry.day] = entry

    @property
    def entries(self) -> tuple[CalendarDay, ...]:
        """All entries as given (including other regions'), so a calendar can be extended or persisted."""
        return self._entries

    def extended(self, entries: Iterable[CalendarDay], known_years: Iterable[int] = ()) -> WorkCalendar:
        """Return a new calendar with extra entries appended (they win) and extra known years.

        Calendars are treated as immutable so that an old one can still be used to recompute and
        compare due dates after a new year's notice is loaded (see ``recompute_due_dates``).
        """
        return WorkCalendar(
            (*self._entries, *entries),
            self.known_years | frozenset(known_years),
            region=self.region,
        )

    def _entry(self, d: date) -> CalendarDay | None:
        return self._regional.get(d) or self._national.get(d)

    # -- single days -------------------------------------------------------------------------

    def is_provisional(self, d: date) -> bool:
        """True if ``d`` lies in a year whose State Council notice is not loaded."""
        return d.year not in self.known_years

    def is_workday(self, d: date) -> bool:
        d = _as_date(d)
        entry = self._entry(d)
        if entry is not None:
            return entry.is_workday
        if d.weekday() >= 5:
            return False
        if self.is_provisional(d) and (d.month, d.day) in PROVISIONAL_FIXED_HOLIDAYS:
            return False
        return True

    def day_name(self, d: date) -> str:
        """A short Chinese label for the day, for calendars and deadline explanations shown to users."""
        d = _as_date(d)
        entry = self._entry(d)
        if entry is not None:
            if entry.name:
                return entry.name
            if entry.is_workday:
                return "调休上班" if d.weekday() >= 5 else "工作日"
            return "休息日"
        if d.weekday() >= 5:
            return "周末"
        if self.is_provisional(d):
            fixed = PROVISIONAL_FIXED_HOLIDAYS.get((d.month, d.day))
            if fixed:
                return fixed
        return "工作日"

    def next_workday(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self.add_workdays(d, 1)

    # -- arithmetic ----------------------------------------------------------------------------

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after ``start``; ``start`` itself never counts (民法典 art. 201).

        ``n`` must be at least 1: "0 working days" has no meaning under art. 201 and silently
        returning ``start`` would produce a deadline on a possible rest day.
        """
        return self._walk(start, n, frozenset())

    def _walk(self, start: date, n: int, frozen: frozenset[date]) -> date:
        """Step forward from ``start`` counting working days not in ``frozen`` until ``n`` are counted."""
        if n < 1:
            raise ValueError(f"number of working days must be >= 1, got {n}")
        d = _as_date(start)
        counted = 0
        rest_run = 0
        while counted < n:
            d += _ONE_DAY
            if self.is_workday(d) and d not in frozen:
                counted += 1
                rest_run = 0
            else:
                rest_run += 1
                if rest_run > _MAX_SCAN_DAYS:
                    raise ValueError(
                        f"no countable working day within {_MAX_SCAN_DAYS} days after {d - timedelta(rest_run)}"
                    )
        return d

    def workdays_between(self, start: date, end: date) -> int:
        """Number of working days d with ``start < d <= end``; 0 if ``end <= start``.

        Half-open on the left to match ``add_workdays``: ``workdays_between(s, add_workdays(s, n)) == n``,
        and "working days left" on the due date itself is 0.
        """
        start, end = _as_date(start), _as_date(end)
        count = 0
        d = start + _ONE_DAY
        while d <= end:
            if self.is_workday(d):
                count += 1
            d += _ONE_DAY
        return count

    def _any_provisional(self, first: date, last: date) -> bool:
        return any(y not in self.known_years for y in range(first.year, last.year + 1))

    def effective_receipt_day(self, received_at: datetime, office_close: time = time(17, 30)) -> date:
        """The working day an application counts as received on.

        Applications handed in at or after ``office_close`` or on a rest day are treated as received
        on the next working day, because no officer could have acted on them that day. An aware
        datetime is converted to China time first (the engine's clock is UTC); a naive one is taken
        as China local time.
        """
        if received_at.tzinfo is not None:
            received_at = received_at.astimezone(_CHINA_TZ)
        day = received_at.date()
        if not self.is_workday(day) or received_at.time() >= office_close:
            day = self.next_workday(day)
        return day

    def due_date(
        self,
        received_at: datetime,
        limit_wd: int,
        *,
        office_close: time = time(17, 30),
        paused: Sequence[tuple[date, date | None]] = (),
        extension_wd: int = 0,
        now: date | None = None,
    ) -> DueDate:
        """Deadline for a case received at ``received_at`` with a limit of ``limit_wd`` working days.

        - Counting starts the day after the effective receipt day (see ``effective_receipt_day``).
        - Each pause ``(pause_start, pause_end)`` (补正 during review, 特别程序 such as hearings or expert
          review, which by law are not counted in the limit) freezes the clock on the working days
          ``pause_start <= d < pause_end``: the day the pause begins is already frozen, the day it
          ends (materials received back / procedure finished) counts again. ``pause_end=None`` means
          still paused; ``now`` is then used as the end, giving the earliest possible due date as of
          today, so ``now`` is required. Overlapping pauses are merged, so a day is frozen at most
          once. Frozen days on or before the effective receipt day are ignored (the clock was not
          running), and so are frozen days after the clock has already run out: a pause cannot
          revive an overdue case. For every pause inside the running period this amounts to pushing
          the due date by the number of working days in the pause.
        - ``extension_wd`` (延长, approved by the head of the office) adds working days.
        - ``provisional`` is True if any day from receipt to the due date lies in an unknown year.
        """
        receipt_day = self.effective_receipt_day(received_at, office_close)
        result = self.due_after(receipt_day, limit_wd, paused=paused, extension_wd=extension_wd, now=now)
        received_local = received_at.astimezone(_CHINA_TZ) if received_at.tzinfo is not None else received_at
        return DueDate(due=result.due, provisional=result.provisional or self.is_provisional(received_local.date()))

    def due_after(
        self,
        start_day: date,
        limit_wd: int,
        *,
        paused: Sequence[tuple[date, date | None]] = (),
        extension_wd: int = 0,
        now: date | None = None,
    ) -> DueDate:
        """The deadline ``limit_wd`` (+ ``extension_wd``) working days after ``start_day``, pauses frozen.

        ``start_day`` is the legal day the period starts on (acceptance, already moved past closing
        time and rest days by the caller); it is not counted itself. Pauses as in ``due_date``.
        """
        if limit_wd < 1:
            raise ValueError(f"limit_wd must be >= 1, got {limit_wd}")
        if extension_wd < 0:
            raise ValueError(f"extension_wd must be >= 0, got {extension_wd}")
        if now is not None:
            now = _as_date(now)
        frozen: set[date] = set()
        for pause_start, pause_end in paused:
            first = _as_date(pause_start)
            if pause_end is None:
                if now is None:
                    raise ValueError("an open pause (pause_end=None) needs `now`")
                end = now
            else:
                end = _as_date(pause_end)
            if end < first:
                raise ValueError(f"pause ends before it starts: {first} .. {end}")
            d = first
            while d < end:
                frozen.add(d)
                d += _ONE_DAY
        start_day = _as_date(start_day)
        due = self._walk(start_day, limit_wd + extension_wd, frozenset(frozen))
        return DueDate(due=due, provisional=self._any_provisional(start_day, due))

    def deadline_state(self, due: date, today: date, finished: bool = False, warn_wd: int = 2) -> DeadlineState:
        """Traffic light for a case: done / red (overdue) / yellow (due soon) / normal.

        The due date itself is still within the limit (art. 201: the period ends at the end of its
        last day), so on the due date the state is yellow and it turns red the day after. Yellow
        means at most ``warn_wd`` working days left, counted by ``workdays_between(today, due)``
        (0 on the due date).
        """
        if finished:
            return DeadlineState.DONE
        today, due = _as_date(today), _as_date(due)
        if today > due:
            return DeadlineState.RED
        if self.workdays_between(today, due) <= warn_wd:
            return DeadlineState.YELLOW
        return DeadlineState.NORMAL
