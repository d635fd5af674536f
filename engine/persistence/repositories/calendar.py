"""The working-day calendar as stored: explicit days (holidays, 调休, closures) and the loaded years."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update

from engine.persistence.records import CalendarDayRecord
from engine.persistence.records import CalendarYearRecord
from engine.persistence.sql import connection

if TYPE_CHECKING:
    from engine.persistence.unit_of_work import UnitOfWork

DAYS = CalendarDayRecord.__table__
YEARS = CalendarYearRecord.__table__


@dataclass(frozen=True, slots=True)
class DayRow:
    day: date
    region: str
    is_workday: bool
    name: str
    source: str


def calendar_days(uow: UnitOfWork) -> list[DayRow]:
    query = select(DAYS.c.day, DAYS.c.region, DAYS.c.is_workday, DAYS.c.name, DAYS.c.source).order_by(DAYS.c.day)
    return [DayRow(**values) for values in connection(uow).execute(query).mappings()]


def calendar_years(uow: UnitOfWork) -> list[int]:
    """The years whose State Council notice is loaded, ascending."""
    return list(connection(uow).execute(select(YEARS.c.year).order_by(YEARS.c.year)).scalars())


def insert_days(uow: UnitOfWork, days: Iterable[DayRow]) -> None:
    rows = [{"day": d.day, "region": d.region, "is_workday": d.is_workday, "name": d.name, "source": d.source}
            for d in days]
    if rows:
        connection(uow).execute(insert(DAYS), rows)


def add_years(uow: UnitOfWork, years: Iterable[int], source: str, now: datetime, added_by: str) -> None:
    """Mark years as loaded (years already marked keep their first entry)."""
    known = set(calendar_years(uow))
    rows = [{"year": y, "source": source, "added_at": now, "added_by": added_by} for y in sorted(set(years) - known)]
    if rows:
        connection(uow).execute(insert(YEARS), rows)


def delete_days(uow: UnitOfWork, days: Iterable[date], region: str) -> None:
    """Remove the entries of ``region`` on exactly these days (the others stay)."""
    wanted = sorted(set(days))
    if wanted:
        connection(uow).execute(delete(DAYS).where(DAYS.c.region == region, DAYS.c.day.in_(wanted)))


def close_day(uow: UnitOfWork, day: date, name: str, source: str) -> None:
    """Make a national entry for ``day`` a non-working day (creating it if needed)."""
    conn = connection(uow)
    result = conn.execute(update(DAYS).where(DAYS.c.day == day, DAYS.c.region == "")
                          .values(is_workday=False, name=name, source=source))
    if result.rowcount == 0:
        conn.execute(insert(DAYS).values(day=day, region="", is_workday=False, name=name, source=source))
