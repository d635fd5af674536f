"""Working-day arithmetic against the real 2025/2026 State Council holiday arrangements."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import timezone

import pytest

from engine.calendar import CalendarDay
from engine.calendar import DeadlineState
from engine.calendar import DueDate
from engine.calendar import WorkCalendar
from engine.calendar import national_days_from_chinesecalendar
from engine.calendar import parse_state_council_notice
from engine.calendar import recompute_due_dates


@pytest.fixture(scope="module")
def seed() -> tuple[list[CalendarDay], set[int]]:
    return national_days_from_chinesecalendar()


@pytest.fixture(scope="module")
def cal(seed: tuple[list[CalendarDay], set[int]]) -> WorkCalendar:
    entries, years = seed
    return WorkCalendar(entries, years)


# -- seed data ---------------------------------------------------------------------------------


def test_seed_years_and_names(seed: tuple[list[CalendarDay], set[int]]) -> None:
    entries, years = seed
    assert years == set(range(2004, 2027))
    by_day = {e.day: e for e in entries}
    assert by_day[date(2025, 10, 1)] == CalendarDay(date(2025, 10, 1), False, "国庆节", "chinesecalendar 1.11.0")
    assert by_day[date(2025, 10, 6)].name == "中秋节"
    assert by_day[date(2015, 9, 3)].name == "抗战胜利70周年纪念日"
    # weekend days inside a holiday block are kept as named rest days
    assert by_day[date(2025, 10, 4)].is_workday is False
    assert by_day[date(2026, 2, 28)] == CalendarDay(
        date(2026, 2, 28), True, "调休上班（春节）", "chinesecalendar 1.11.0"
    )
    assert all(e.region == "" for e in entries)


def test_is_workday_and_names(cal: WorkCalendar) -> None:
    assert cal.is_workday(date(2025, 9, 26))  # Friday
    assert not cal.is_workday(date(2025, 9, 27))  # plain Saturday
    assert cal.is_workday(date(2025, 9, 28))  # 调休 Sunday
    assert not cal.is_workday(date(2025, 10, 8))  # Wednesday inside 国庆 block
    assert cal.is_workday(date(2025, 10, 9))
    assert cal.day_name(date(2025, 10, 1)) == "国庆节"
    assert cal.day_name(date(2025, 9, 27)) == "周末"
    assert cal.day_name(date(2025, 9, 28)) == "调休上班（国庆节）"
    assert cal.day_name(date(2025, 9, 29)) == "工作日"
    assert not cal.is_provisional(date(2026, 12, 31))
    assert cal.is_provisional(date(2027, 1, 1))


def test_provisional_year_rule(cal: WorkCalendar) -> None:
    assert not cal.is_workday(date(2027, 1, 1))  # Friday, fixed 元旦
    assert cal.day_name(date(2027, 1, 1)) == "元旦"
    assert cal.is_workday(date(2027, 5, 3))  # Monday 5-3: not a fixed holiday
    assert not cal.is_workday(date(2027, 10, 1))
    assert cal.day_name(date(2027, 10, 1)) == "国庆节"
    assert not cal.is_workday(date(2027, 1, 2))  # weekend
    assert cal.is_workday(date(2027, 2, 8))  # movable 春节 cannot be predicted


def test_region_entry_overrides_national() -> None:
    national = CalendarDay(date(2026, 9, 14), True, "", "x")
    typhoon = CalendarDay(date(2026, 9, 14), False, "台风停工", "市政府通告", region="440300")
    other = CalendarDay(date(2026, 9, 15), False, "别处停工", "x", region="310000")
    sz = WorkCalendar([typhoon, national, other], {2026}, region="440300")
    assert not sz.is_workday(date(2026, 9, 14))
    assert sz.day_name(date(2026, 9, 14)) == "台风停工"
    assert sz.is_workday(date(2026, 9, 15))
    assert WorkCalendar([typhoon, national, other], {2026}).is_workday(date(2026, 9, 14))


# -- add_workdays / workdays_between -----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2025, 9, 26), 5, date(2025, 10, 10)),
        (date(2025, 9, 26), 20, date(2025, 10, 30)),
        (date(2025, 9, 26), 30, date(2025, 11, 13)),
        (date(2025, 12, 1), 45, date(2026, 2, 3)),
        (date(2026, 2, 12), 7, date(2026, 2, 28)),  # a 调休 working Saturday
        (date(2025, 9, 27), 1, date(2025, 9, 28)),  # start on a rest day: still not counted
        (date(2025, 9, 26), 1, date(2025, 9, 28)),  # start on a workday: not counted either
    ],
)
def test_add_workdays(cal: WorkCalendar, start: date, n: int, expected: date) -> None:
    assert cal.add_workdays(start, n) == expected
    assert cal.workdays_between(start, expected) == n


def test_add_workdays_into_provisional_year(cal: WorkCalendar) -> None:
    # Dec 16-18, 21-25, 28-31 = 12 working days; 2027-01-01 (Fri) is a fixed holiday;
    # Jan 4-8 = 17, Jan 11, 12, 13 = 20.
    assert cal.add_workdays(date(2026, 12, 15), 20) == date(2027, 1, 13)


def test_add_workdays_rejects_non_positive(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_workdays(date(2025, 9, 26), 0)
    with pytest.raises(ValueError):
        cal.add_workdays(date(2025, 9, 26), -3)


def test_workdays_between(cal: WorkCalendar) -> None:
    assert cal.workdays_between(date(2025, 9, 30), date(2025, 10, 10)) == 2
    assert cal.workdays_between(date(2025, 10, 1), date(2025, 10, 8)) == 0
    assert cal.workdays_between(date(2025, 10, 10), date(2025, 10, 10)) == 0
    assert cal.workdays_between(date(2025, 10, 10), date(2025, 9, 26)) == 0


# -- due_date ----------------------------------------------------------------------------------


def test_due_date_plain_receipt(cal: WorkCalendar) -> None:
    assert cal.due_date(datetime(2025, 9, 26, 10, 0), 5) == DueDate(date(2025, 10, 10), False)


def test_due_date_after_hours_friday_counts_from_monday(cal: WorkCalendar) -> None:
    # Fri 2025-11-14 18:00 -> received Mon 11-17, counting from Tue 11-18: 18,19,20,21,24.
    assert cal.due_date(datetime(2025, 11, 14, 18, 0), 5).due == date(2025, 11, 24)
    assert cal.due_date(datetime(2025, 11, 14, 17, 30), 5).due == date(2025, 11, 24)  # closing time itself
    assert cal.due_date(datetime(2025, 11, 14, 17, 29), 5).due == date(2025, 11, 21)
    assert cal.due_date(datetime(2025, 11, 14, 16, 0), 5, office_close=time(16, 0)).due == date(2025, 11, 24)


def test_due_date_received_on_saturday(cal: WorkCalendar) -> None:
    assert cal.due_date(datetime(2025, 11, 15, 10, 0), 5).due == date(2025, 11, 24)
    # a 调休 working Saturday is a normal receipt day
    assert cal.due_date(datetime(2025, 10, 11, 10, 0), 1).due == date(2025, 10, 13)


def test_due_date_aware_utc_receipt_uses_china_time(cal: WorkCalendar) -> None:
    # 2025-11-14 10:00 UTC is 18:00 in Beijing: after hours.
    received = datetime(2025, 11, 14, 10, 0, tzinfo=UTC)
    assert cal.due_date(received, 5).due == date(2025, 11, 24)
    received = datetime(2025, 11, 14, 1, 0, tzinfo=timezone(timedelta(hours=8)))
    assert cal.due_date(received, 5).due == date(2025, 11, 21)


def test_due_date_pause_moves_due_by_its_working_days(cal: WorkCalendar) -> None:
    received = datetime(2025, 11, 3, 9, 0)  # Monday
    assert cal.due_date(received, 20).due == date(2025, 12, 1)
    # 补正 from Mon 11-10, materials back Thu 11-13: Mon-Wed frozen = 3 working days
    paused = [(date(2025, 11, 10), date(2025, 11, 13))]
    result = cal.due_date(received, 20, paused=paused)
    assert result.due == date(2025, 12, 4)
    assert cal.workdays_between(date(2025, 12, 1), result.due) == 3


def test_due_date_pause_over_weekend_counts_only_working_days(cal: WorkCalendar) -> None:
    received = datetime(2025, 11, 3, 9, 0)
    # Fri 11-14 .. Tue 11-18 exclusive: Fri + Mon = 2 working days
    paused = [(date(2025, 11, 14), date(2025, 11, 18))]
    assert cal.due_date(received, 20, paused=paused).due == date(2025, 12, 3)


def test_due_date_overlapping_pauses_not_double_counted(cal: WorkCalendar) -> None:
    received = datetime(2025, 11, 3, 9, 0)
    paused = [(date(2025, 11, 10), date(2025, 11, 13)), (date(2025, 11, 11), date(2025, 11, 14))]
    # union is Mon 11-10 .. Thu 11-13 = 4 working days
    assert cal.due_date(received, 20, paused=paused).due == date(2025, 12, 5)


def test_due_date_open_pause_uses_now(cal: WorkCalendar) -> None:
    received = datetime(2025, 11, 3, 9, 0)
    paused = [(date(2025, 11, 10), None)]
    with pytest.raises(ValueError):
        cal.due_date(received, 20, paused=paused)
    assert cal.due_date(received, 20, paused=paused, now=date(2025, 11, 13)).due == date(2025, 12, 4)


def test_due_date_pause_outside_running_clock_ignored(cal: WorkCalendar) -> None:
    received = datetime(2025, 11, 3, 9, 0)
    # on the receipt day itself the clock is not running yet
    assert cal.due_date(received, 20, paused=[(date(2025, 11, 3), date(2025, 11, 4))]).due == date(2025, 12, 1)
    # a pause opened after the case is already overdue does not revive it
    late = [(date(2025, 12, 3), date(2025, 12, 10))]
    assert cal.due_date(received, 20, paused=late).due == date(2025, 12, 1)


def test_due_date_reversed_pause_rejected(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        cal.due_date(datetime(2025, 11, 3, 9, 0), 20, paused=[(date(2025, 11, 10), date(2025, 11, 7))])


def test_due_date_extension(cal: WorkCalendar) -> None:
    received = datetime(2025, 11, 3, 9, 0)
    # Dec 1 + 10 working days = Dec 15
    assert cal.due_date(received, 20, extension_wd=10).due == date(2025, 12, 15)
    with pytest.raises(ValueError):
        cal.due_date(received, 20, extension_wd=-1)
    with pytest.raises(ValueError):
        cal.due_date(received, 0)


def test_due_date_provisional_flag(cal: WorkCalendar) -> None:
    assert cal.due_date(datetime(2026, 12, 15, 9, 0), 20) == DueDate(date(2027, 1, 13), True)
    assert cal.due_date(datetime(2026, 12, 1, 9, 0), 5) == DueDate(date(2026, 12, 8), False)


# -- a new year's notice -------------------------------------------------------------------------

NOTICE_2027 = """\
# 国务院办公厅关于2027年部分节假日安排的通知（测试用）
2027-01-01 休 元旦
2027-01-04 休 元旦调休

2027-02-05..2027-02-11 休 春节
2027-02-14 班 春节调休
"""


def test_parse_notice() -> None:
    entries = parse_state_council_notice(NOTICE_2027, 2027)
    assert len(entries) == 2 + 7 + 1
    assert entries[0] == CalendarDay(date(2027, 1, 1), False, "元旦", "国务院办公厅通知 2027")
    assert entries[2].day == date(2027, 2, 5) and entries[8].day == date(2027, 2, 11)
    assert entries[-1] == CalendarDay(date(2027, 2, 14), True, "春节调休", "国务院办公厅通知 2027")


def test_loaded_notice_moves_provisional_due_date(cal: WorkCalendar) -> None:
    new = cal.extended(parse_state_council_notice(NOTICE_2027, 2027), {2027})
    assert not new.is_provisional(date(2027, 1, 4))
    assert not new.is_workday(date(2027, 1, 4))
    assert new.day_name(date(2027, 2, 14)) == "春节调休"
    assert new.due_date(datetime(2026, 12, 15, 9, 0), 20) == DueDate(date(2027, 1, 14), False)
    assert cal.due_date(datetime(2026, 12, 15, 9, 0), 20) == DueDate(date(2027, 1, 13), True)  # old untouched

    cases = [
        ("QX-2026-0001", date(2026, 12, 15), 20),  # crosses 2027-01-04: moves
        ("QX-2026-0002", date(2026, 11, 2), 10),  # entirely in 2026: unchanged
        ("QX-2026-0003", date(2027, 1, 4), 3),  # starts on the new rest day: count unaffected
    ]
    assert recompute_due_dates(cal, new, cases) == [("QX-2026-0001", date(2027, 1, 13), date(2027, 1, 14))]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-01-01 休 元旦\n2027-13-01 休 坏", "第2行：日期格式不正确"),
        ("2027-01-01 休 元旦\n\n20270102 休 坏", "第3行：日期格式不正确"),
        ("2027-02-11..2027-02-05 休 春节", "第1行：日期范围起止颠倒"),
        ("2026-12-31 班 元旦调休", "第1行：日期不在2027年内"),
        ("2027-12-31..2028-01-01 休 元旦", "第1行：日期不在2027年内"),
        ("2027-01-01 放 元旦", "第1行：类型应为“休”或“班”"),
        ("2027-01-01", "第1行：格式不正确，应为“日期 休/班 名称”"),
        ("2027-01-01..2027-01-03 休 元旦\n2027-01-03 班 x", "第2行：日期2027-01-03已在第1行出现"),
        ("# 只有注释\n\n", "通知内容为空"),
    ],
)
def test_parse_notice_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_state_council_notice(text, 2027)
    assert str(excinfo.value) == message


# -- deadline state ----------------------------------------------------------------------------


def test_deadline_states(cal: WorkCalendar) -> None:
    due = date(2025, 10, 10)  # Friday after the 国庆 block
    assert cal.deadline_state(due, date(2025, 9, 29)) == "normal"  # Sep 30, Oct 9, Oct 10 left
    assert cal.deadline_state(due, date(2025, 9, 30)) == "yellow"  # Oct 9, Oct 10 left
    assert cal.deadline_state(due, date(2025, 10, 3)) == "yellow"  # in the holiday: still 2 left
    assert cal.deadline_state(due, due) == DeadlineState.YELLOW  # due date itself
    assert cal.deadline_state(due, date(2025, 10, 11)) == DeadlineState.RED  # the day after
    assert cal.deadline_state(due, date(2025, 10, 11), finished=True) == "done"
    assert cal.deadline_state(due, date(2025, 9, 29), warn_wd=3) == "yellow"
