"""The art. 44 sweep on SQLite and PostgreSQL: a flag is written once even when two workers race for it.

Two workers read the same certificate to flag (both before either writes); the first writes the
``service_flagged`` row, the second finds the flag moved and writes nothing, on both databases.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from engine.clock import FixedClock
from engine.persistence.repositories import document_services as stored
from engine.services import service_flags
from engine.services.context import EngineContext
from engine.settings import EngineSettings
from tests.conftest import ROOT
from tests.processes.conftest import Hall
from tests.processes.test_service_of_documents import _granted_hygiene_case
from tests.processes.test_service_of_documents import _move_to


@pytest.fixture
def shipped(database_url: str, clock: FixedClock) -> Iterator[Hall]:
    settings = EngineSettings(database_url=database_url, processes_dir=ROOT / "processes", forms_dir=ROOT / "forms")
    ctx = EngineContext.create(settings, clock)
    yield Hall(ctx, clock)
    ctx.dispose()


def test_two_workers_reading_the_same_flag_write_it_once(shipped: Hall) -> None:
    case_id = _granted_hygiene_case(shipped)
    _move_to(shipped, date(2025, 10, 13))  # the 7th working day
    now = shipped.clock.now()
    with shipped.ctx.uow() as uow:
        [seen_by_both] = stored.services_to_flag(uow, date(2025, 10, 13))
    written = [service_flags._flag_case(shipped.ctx, seen_by_both.service, date(2025, 10, 13), now)  # noqa: SLF001
               for _worker in (1, 2)]
    assert written == [1, 0]
    rows = [h for h in shipped.history(case_id) if h.event_type == "service_flagged"]
    assert [r.data_after["flag"] for r in rows] == ["warning"]
    with shipped.ctx.uow() as uow:
        assert stored.services_to_flag(uow, date(2025, 10, 13)) == []
        assert stored.services_to_flag(uow, date(2025, 10, 17))[0].service.flagged == "warning"
