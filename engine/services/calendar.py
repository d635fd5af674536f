"""The working-day calendar as administrators keep it: seeded, extended year by year, audited.

The calendar lives in our own tables (seeded once from the pinned ``chinesecalendar`` release) so
that a missing library update can never crash a deadline computation: years without a loaded
State Council notice are computed provisionally, and when the notice is added every running case
whose due date moves gets a history row saying so.

Every process keeps the calendar in memory (``ctx.calendar``) and checks the stored calendar version
at each request or timer poll (``refresh_calendar``: one single-row read), so a change made by any
process, the CLI included, is used by every worker from its next request on. Every change is in the
admin audit log (area ``calendar``) with the days before and after.
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
from engine.persistence.conflicts import translate_conflicts
from engine.persistence.repositories import calendar as stored
from engine.persistence.repositories.cases import running_cases
from engine.persistence.repositories.cases import save_case
from engine.persistence.repositories.deadlines import current_deadlines_of_cases
from engine.persistence.repositories.organisation import append_audit
from engine.persistence.repositories.shared_versions import bump_shared_version
from engine.persistence.repositories.shared_versions import shared_version
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.context import EngineContext
from engine.services.deadlines import china_today
from engine.services.deadlines import current_view
from engine.services.deadlines import write_change

CALENDAR_ADMIN_GROUPS = frozenset({"admin"})
#: The shared-version name of the calendar (``repositories.shared_versions``).
CALENDAR_VERSION = "calendar"
#: How a local closure's source begins: ``add-year`` keeps these days whatever the notice says.
LOCAL_CLOSURE_SOURCE = "本地停办"
AUDIT_AREA = "calendar"


def seed_calendar(ctx: EngineContext, actor: Actor) -> int:
    """Fill empty calendar tables from the bundled library data; return the number of days added."""
    with ctx.uow(write=True) as uow:
        if stored.calendar_years(uow):
            return 0
        entries, years = national_days_from_chinesecalendar()
        source = entries[0].source if entries else "chinesecalendar"
        stored.insert_days(uow, (_day_row(e) for e in entries))
        stored.add_years(uow, years, source, ctx.clock.now(), actor.user_id)
        _audit(uow, ctx, actor, "calendar_seeded", "calendar", f"载入内置工作日历（{source}）：{len(entries)} 天",
               None, {"years": sorted(years), "days": len(entries)})
        bump_shared_version(uow, CALENDAR_VERSION)
        uow.commit()
    reload_calendar(ctx)
    return len(entries)


def _day_row(entry: CalendarDay) -> stored.DayRow:
    return stored.DayRow(day=entry.day, region=entry.region, is_workday=entry.is_workday, name=entry.name,
                         source=entry.source)


def _day_json(day: stored.DayRow | CalendarDay) -> dict[str, Any]:
    return {"day": day.day.isoformat(), "is_workday": day.is_workday, "name": day.name, "source": day.source}


def _audit(uow: UnitOfWork, ctx: EngineContext, actor: Actor, event_type: str, subject: str, summary: str,
           before: Any, after: Any) -> None:
    append_audit(uow, occurred_at=ctx.clock.now(), actor_id=actor.user_id, actor_role=actor.role_label,
                 area=AUDIT_AREA, event_type=event_type, subject=subject, summary=summary,
                 data_before=to_json(before), data_after=to_json(after))


def _read_calendar(uow: UnitOfWork) -> WorkCalendar:
    days = stored.calendar_days(uow)
    years = stored.calendar_years(uow)
    if not years:
        entries, known = national_days_from_chinesecalendar()
        return WorkCalendar(entries, known)
    return WorkCalendar([CalendarDay(d.day, d.is_workday, d.name, d.source, d.region) for d in days], set(years))


def load_calendar(ctx: EngineContext) -> WorkCalendar:
    with ctx.uow() as uow:
        return _read_calendar(uow)


def reload_calendar(ctx: EngineContext) -> WorkCalendar:
    """Read the stored calendar and its version from one snapshot into this process."""
    with ctx.uow() as uow:
        version = shared_version(uow, CALENDAR_VERSION)
        calendar = _read_calendar(uow)
    ctx.calendar, ctx.calendar_version = calendar, version
    return calendar


def refresh_calendar(ctx: EngineContext) -> bool:
    """Reload the calendar if any process changed it since this one read it (one single-row read
    when nothing changed). Called at the start of every request and every timer poll."""
    with ctx.uow() as uow:
        version = shared_version(uow, CALENDAR_VERSION)
    return refresh_calendar_to(ctx, version)


def refresh_calendar_to(ctx: EngineContext, version: int) -> bool:
    """Reload the calendar if ``version`` (the stored ``CALENDAR_VERSION``, read by the caller together
    with what else it needed, ``request_start``) is not the one this process holds."""
    if version == ctx.calendar_version:
        return False
    reload_calendar(ctx)
    return True


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

    The notice replaces the year's national entries, except local closures (``add_closure``), which
    stay in force on their days; the audit row lists the days replaced, added and kept.

    :raise NotAllowed: the actor is not an administrator.
    :raise ValueError: the notice has a bad line (Chinese message naming the line).
    """
    _require_admin(actor)
    entries = parse_state_council_notice(notice, year)
    with ctx.uow(write=True) as uow, translate_conflicts():
        old_calendar = _read_calendar(uow)
        year_days = [d for d in stored.calendar_days(uow) if d.region == "" and d.day.year == year]
        kept = [d for d in year_days if d.source.startswith(LOCAL_CLOSURE_SOURCE)]
        kept_days = {d.day for d in kept}
        replaced = [d for d in year_days if d.day not in kept_days]
        added = [e for e in entries if e.day not in kept_days]
        stored.delete_days(uow, [d.day for d in replaced], "")
        stored.insert_days(uow, (_day_row(e) for e in added))
        stored.add_years(uow, [year], f"国务院办公厅通知 {year}", ctx.clock.now(), actor.user_id)
        new_calendar = old_calendar.extended(added, {year})
        moved = _recompute_running(ctx, uow, old_calendar, new_calendar, actor, {"year": year})
        _audit(uow, ctx, actor, "calendar_year_loaded", f"year:{year}",
               f"录入 {year} 年国务院放假通知：{len(added)} 天，保留本地停办 {len(kept)} 天，{len(moved)} 件期限顺延",
               {"days": [_day_json(d) for d in replaced]},
               {"days": [_day_json(e) for e in added], "kept_closures": [_day_json(d) for d in kept],
                "moved_cases": [number for number, _, _ in moved]})
        bump_shared_version(uow, CALENDAR_VERSION)
        uow.commit()
    reload_calendar(ctx)
    return moved


def add_closure(ctx: EngineContext, day: date, name: str, actor: Actor) -> list[tuple[str, date, date]]:
    """Close the hall on a working day (regional holiday, emergency): deadlines move past it, audited."""
    _require_admin(actor)
    if not name.strip():
        raise ValueError("请说明停办原因")
    entry = CalendarDay(day, False, name.strip(), f"{LOCAL_CLOSURE_SOURCE}（{actor.user_id}）")
    with ctx.uow(write=True) as uow, translate_conflicts():
        old_calendar = _read_calendar(uow)
        before = next((d for d in stored.calendar_days(uow) if d.day == day and d.region == ""), None)
        new_calendar = old_calendar.extended([entry])
        stored.close_day(uow, day, entry.name, entry.source)
        moved = _recompute_running(ctx, uow, old_calendar, new_calendar, actor, {"closed": day.isoformat()})
        _audit(uow, ctx, actor, "calendar_day_closed", f"day:{day.isoformat()}",
               f"设定本地停办日 {day.isoformat()}（{entry.name}），{len(moved)} 件期限顺延",
               _day_json(before) if before is not None else None,
               {**_day_json(entry), "moved_cases": [number for number, _, _ in moved]})
        bump_shared_version(uow, CALENDAR_VERSION)
        uow.commit()
    reload_calendar(ctx)
    return moved
