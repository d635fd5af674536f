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
from engine.history import to_json
from engine.persistence import repositories as repo
from engine.persistence.records import CalendarDayRecord
from engine.persistence.records import CalendarYearRecord
from engine.services.context import EngineContext
from engine.services.deadlines import compute_deadlines
from engine.services.deadlines import metadata_of

CALENDAR_ADMIN_GROUPS = frozenset({"admin"})


def seed_calendar(ctx: EngineContext, actor: Actor) -> int:
    """Fill empty calendar tables from the bundled library data; return the number of days added."""
    with ctx.uow() as uow:
        if repo.calendar_years(uow.session):
            return 0
        entries, years = national_days_from_chinesecalendar()
        now = ctx.clock.now()
        source = entries[0].source if entries else "chinesecalendar"
        uow.session.add_all(CalendarDayRecord(day=e.day, region=e.region, is_workday=e.is_workday, name=e.name,
                                              source=e.source) for e in entries)
        uow.session.add_all(CalendarYearRecord(year=y, source=source, added_at=now, added_by=actor.user_id)
                            for y in sorted(years))
        uow.commit()
    reload_calendar(ctx)
    return len(entries)


def load_calendar(ctx: EngineContext) -> WorkCalendar:
    with ctx.uow() as uow:
        days = repo.calendar_days(uow.session)
        years = repo.calendar_years(uow.session)
        if not years:
            entries, known = national_days_from_chinesecalendar()
            return WorkCalendar(entries, known)
        return WorkCalendar([CalendarDay(d.day, d.is_workday, d.name, d.source, d.region) for d in days],
                            {y.year for y in years})


def reload_calendar(ctx: EngineContext) -> WorkCalendar:
    ctx.calendar = load_calendar(ctx)
    return ctx.calendar


def _require_admin(actor: Actor) -> None:
    if not actor.in_any(CALENDAR_ADMIN_GROUPS):
        raise NotAllowed("只有系统管理员可以维护工作日历")


def _recompute_running(ctx: EngineContext, uow: Any, old: WorkCalendar, new: WorkCalendar, actor: Actor,
                       reason: dict[str, Any]) -> list[tuple[str, date, date]]:
    """Audit every running case whose due dates move under the new calendar (same transaction)."""
    moved: list[tuple[str, date, date]] = []
    now = ctx.clock.now()
    for case in repo.running_cases(uow.session):
        events = repo.status_events(uow.session, case.id)
        metadata = metadata_of(uow.session, case)
        before = compute_deadlines(ctx, case, events, metadata, old)
        after = compute_deadlines(ctx, case, events, metadata, new)
        if before is None or after is None or (before.statutory_due, before.promised_due) == \
                (after.statutory_due, after.promised_due):
            continue
        moved.append((case.case_number, before.statutory_due, after.statutory_due))
        repo.append_history(uow.session, case, occurred_at=now, event_type="due_date_recomputed",
                            actor_id=actor.user_id, actor_role=actor.role_label, data_before=to_json(
                                {"statutory_due": before.statutory_due, "promised_due": before.promised_due,
                                 "provisional": before.provisional}),
                            data_after=to_json({"statutory_due": after.statutory_due,
                                                "promised_due": after.promised_due,
                                                "provisional": after.provisional, **reason}))
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
    with ctx.uow() as uow:
        repo.delete_calendar_year(uow.session, year, "")
        uow.session.flush()
        uow.session.add_all(CalendarDayRecord(day=e.day, region=e.region, is_workday=e.is_workday, name=e.name,
                                              source=e.source) for e in entries)
        if uow.session.get(CalendarYearRecord, year) is None:
            uow.session.add(CalendarYearRecord(year=year, source=f"国务院办公厅通知 {year}", added_at=ctx.clock.now(),
                                               added_by=actor.user_id))
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
    with ctx.uow() as uow:
        record = uow.session.get(CalendarDayRecord, (day, ""))
        if record is None:
            uow.session.add(CalendarDayRecord(day=day, region="", is_workday=False, name=entry.name,
                                              source=entry.source))
        else:
            record.is_workday, record.name, record.source = False, entry.name, entry.source
        moved = _recompute_running(ctx, uow, old_calendar, new_calendar, actor, {"closed": day.isoformat()})
        uow.commit()
    reload_calendar(ctx)
    return moved
