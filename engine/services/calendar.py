"""The working-day calendar as administrators keep it: seeded, extended year by year, audited.

The calendar lives in our own tables (seeded once from the pinned ``chinesecalendar`` release) so
that a missing library update can never crash a deadline computation: years without a loaded
State Council notice are computed provisionally, and when the notice is added every running case
whose due date moves gets a history row saying so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.actors import Actor
from engine.calendar import CalendarDay
from engine.calendar import WorkCalendar
from engine.calendar import national_days_from_chinesecalendar
from engine.calendar import parse_state_council_notice
from engine.errors import NotAllowed
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.repositories import calendar as stored
from engine.persistence.repositories.cases import running_cases
from engine.persistence.repositories.cases import save_case
from engine.persistence.repositories.deadlines import current_deadlines_of_cases
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.context import EngineContext
from engine.services.deadlines import china_today
from engine.services.deadlines import current_view
from engine.services.deadlines import write_change

CALENDAR_ADMIN_GROUPS = frozenset({"admin"})


def seed_calendar(ctx: EngineContext, actor: Actor) -> int:
    """Fill empty calendar tables from the bundled library data; return the number of days added."""
    with ctx.uow() as uow:
        if stored.calendar_years(uow):
            return 0
        entries, years = national_days_from_chinesecalendar()
        source = entries[0].source if entries else "chinesecalendar"
        stored.insert_days(uow, (_day_row(e) for e in entries))
        stored.add_years(uow, years, source, ctx.clock.now(), actor.user_id)
        uow.commit()
    reload_calendar(ctx)
    return len(entries)


def _day_row(entry: CalendarDay) -> stored.DayRow:
    return stored.DayRow(day=entry.day, region=entry.region, is_workday=entry.is_workday, name=entry.name,
                         source=entry.source)


def load_calendar(ctx: EngineContext) -> WorkCalendar:
    with ctx.uow() as uow:
        days = stored.calendar_days(uow)
        years = stored.calendar_years(uow)
    if not years:
        entries, known = national_days_from_chinesecalendar()
        return WorkCalendar(entries, known)
    return WorkCalendar([CalendarDay(d.day, d.is_workday, d.name, d.source, d.region) for d in days], set(years))


def reload_calendar(ctx: EngineContext) -> WorkCalendar:
    ctx.calendar = load_calendar(ctx)
    return ctx.calendar


def _require_admin(actor: Actor) -> None:
    if not actor.in_any(CALENDAR_ADMIN_GROUPS):
        raise NotAllowed("只有系统管理员可以维护工作日历")


def _recompute_running(ctx: EngineContext, uow: UnitOfWork, old: WorkCalendar, new: WorkCalendar, actor: Actor,
                       reason: dict[str, Any]) -> list[tuple[str, date, date]]:
    """Move the stored deadline of every running case the new calendar changes (same transaction, audited).

    Each moved case gets a history row and a new revision of each moved record, and is saved with its
    lock checked: a case that took a step meanwhile makes the whole change fail as a conflict rather
    than lose either write.
    """
    moved: list[tuple[str, date, date]] = []
    now = ctx.clock.now()
    today = china_today(now)
    cases = [case for case in running_cases(uow)]
    records = current_deadlines_of_cases(uow, [case.id for case in cases])
    for case in cases:
        before = {key: record.recomputed(old, today) if not record.is_closed else record
                  for key, record in records[case.id].items()}
        after = {key: record.recomputed(new, today) if not record.is_closed else record
                 for key, record in records[case.id].items()}
        if not before or before == after:
            continue
        old_view = current_view(old, before, today, True)
        new_view = current_view(new, after, today, True)
        assert old_view is not None and new_view is not None
        moved.append((case.case_number, old_view.statutory_due, new_view.statutory_due))
        write_change(uow, case, records[case.id], after, "due_date_recomputed", now, actor,
                     detail={"statutory_due": new_view.statutory_due.isoformat(),
                             "promised_due": new_view.promised_due.isoformat(),
                             "provisional": new_view.provisional, **reason},
                     detail_before={"statutory_due": old_view.statutory_due.isoformat(),
                                    "promised_due": old_view.promised_due.isoformat(),
                                    "provisional": old_view.provisional})
        save_case(uow, case)
    return moved


def add_year(ctx: EngineContext, year: int, notice: str, actor: Actor) -> list[tuple[str, date, date]]:
    """Load a year's State Council notice; return (case number, old due, new due) for moved cases.

    :raise NotAllowed: the actor is not an administrator.
    :raise ValueError: the notice has a bad line (Chinese message naming the line).
    """
    _require_admin(actor)
    entries = parse_state_council_notice(notice, year)
    old_calendar = load_calendar(ctx)
    new_calendar = old_calendar.extended(entries, {year})
    with ctx.uow() as uow, translate_conflicts():
        stored.delete_year_days(uow, year, "")
        stored.insert_days(uow, (_day_row(e) for e in entries))
        stored.add_years(uow, [year], f"国务院办公厅通知 {year}", ctx.clock.now(), actor.user_id)
        moved = _recompute_running(ctx, uow, old_calendar, new_calendar, actor, {"year": year})
        uow.commit()
    reload_calendar(ctx)
    return moved


def add_closure(ctx: EngineContext, day: date, name: str, actor: Actor) -> list[tuple[str, date, date]]:
    """Close the hall on a working day (regional holiday, emergency): deadlines move past it, audited."""
    _require_admin(actor)
    if not name.strip():
        raise ValueError("请说明停办原因")
    entry = CalendarDay(day, False, name.strip(), f"本地停办（{actor.user_id}）")
    old_calendar = load_calendar(ctx)
    new_calendar = old_calendar.extended([entry])
    with ctx.uow() as uow, translate_conflicts():
        stored.close_day(uow, day, entry.name, entry.source)
        moved = _recompute_running(ctx, uow, old_calendar, new_calendar, actor, {"closed": day.isoformat()})
        uow.commit()
    reload_calendar(ctx)
    return moved
