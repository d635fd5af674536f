"""Rule (行政许可法 art. 42): the statutory clock starts at acceptance, 办理状态 3 — the first one — and at no
other status event: not at receipt (1), not when a department starts (8), not at a later 3.

The engine writes the deadline record at the first 3 of a step; the same rule, applied to a history
(what ``onewindow init`` does for cases accepted before records were stored), is checked here on
plain rows.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from types import SimpleNamespace

from engine.calendar import WorkCalendar
from engine.calendar import national_days_from_chinesecalendar
from engine.clock import CHINA_TZ
from engine.legal_time import LegalClock
from engine.services.deadline_backfill import derive_records
from engine.settings import HallSettings

METADATA = {"name": "测试事项", "statutory_limit_wd": 20, "promised_limit_wd": 10}
CALENDAR = WorkCalendar(*national_days_from_chinesecalendar())
LEGAL = LegalClock(CALENDAR, HallSettings(closing_time=datetime(2025, 1, 1, 17, 30).time()))


def _at(day: int, month: int = 9) -> datetime:
    return datetime(2025, month, day, 10, 0, tzinfo=CHINA_TZ).astimezone(UTC)


def _status(seq: int, code: int, moment: datetime) -> SimpleNamespace:
    return SimpleNamespace(seq=seq, event_type="status_changed", to_state=str(code), data_after=None,
                           occurred_at=moment, element_id=f"e{seq}", element_name="")


def _derive(*rows: SimpleNamespace) -> dict:  # type: ignore[type-arg]
    definition = SimpleNamespace(metadata=METADATA, element_properties={})
    return derive_records(LEGAL, definition, SimpleNamespace(received_at=rows[0].occurred_at), rows)  # type: ignore[arg-type]


def test_statutory_and_promised_clocks_start_at_the_first_acceptance() -> None:
    received, accepted, started, reaccepted = _at(1), _at(9), _at(12), _at(16)  # 1 Sep: Monday
    records = _derive(_status(1, 1, received), _status(2, 3, accepted), _status(3, 8, started),
                      _status(4, 3, reaccepted))
    record = records[""]

    def due_from(moment: datetime, limit: int):  # type: ignore[no-untyped-def]
        return CALENDAR.due_date(moment.astimezone(CHINA_TZ), limit).due

    assert record.accepted_on == accepted.astimezone(CHINA_TZ).date()
    assert record.statutory_due == due_from(accepted, 20)
    assert record.promised_due == due_from(accepted, 10)
    # Each other event would give another date, so the assertions above tell them apart.
    assert len({due_from(m, 20) for m in (received, accepted, started, reaccepted)}) == 4


def test_no_deadline_before_acceptance() -> None:
    assert _derive(_status(1, 1, _at(1)), _status(2, 8, _at(3))) == {}
