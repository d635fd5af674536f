"""The calendar table: seeded once, extended by administrators, moved due dates audited."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.errors import NotAllowed
from engine.services import cases
from engine.services import tasks
from engine.services.calendar import add_year
from engine.services.calendar import reload_calendar
from engine.services.calendar import seed_calendar
from engine.services.context import EngineContext
from engine.services.deadlines import case_deadlines
from tests.services.conftest import VALID_APPLICATION

ADMIN = Actor("admin1", groups=frozenset({"admin"}))
NOTICE_2027 = """
# 国务院办公厅关于2027年部分节假日安排的通知（测试用）
2027-01-01..2027-01-03 休 元旦
2027-01-04 休 元旦调休
2027-02-05..2027-02-11 休 春节
"""


def test_seed_is_idempotent_and_matches_the_library(deployed: EngineContext) -> None:
    assert seed_calendar(deployed, ADMIN) > 600
    assert seed_calendar(deployed, ADMIN) == 0
    calendar = reload_calendar(deployed)
    assert calendar.add_workdays(date(2025, 9, 26), 20) == date(2025, 10, 30)
    assert calendar.is_workday(date(2026, 2, 28))  # 调休 Saturday
    assert calendar.is_provisional(date(2027, 3, 1))


def test_new_year_notice_moves_provisional_due_dates_with_an_audit_row(deployed: EngineContext, applicant: Actor,
                                                                       clock: FixedClock) -> None:
    seed_calendar(deployed, ADMIN)
    clock.set(datetime(2026, 12, 15, 2, 0, tzinfo=UTC))
    view = cases.start_case(deployed, "doc_review", applicant)
    task = view.open_tasks[0]
    tasks.complete_task(deployed, view.id, task.task_uuid, VALID_APPLICATION, applicant)
    before = case_deadlines(deployed, view.id)
    assert before.provisional and before.statutory_due == date(2027, 1, 13)
    moved = add_year(deployed, 2027, NOTICE_2027, ADMIN)
    assert moved == [(view.case_number, date(2027, 1, 13), date(2027, 1, 14))]
    after = case_deadlines(deployed, view.id)
    assert after.statutory_due == date(2027, 1, 14) and not after.provisional
    audit = [h for h in cases.case_history(deployed, view.id) if h.event_type == "due_date_recomputed"]
    assert audit[0].data_before["statutory_due"] == "2027-01-13"
    assert audit[0].data_after["statutory_due"] == "2027-01-14" and audit[0].actor_id == "admin1"


def test_only_administrators_change_the_calendar_and_bad_notices_are_named(deployed: EngineContext) -> None:
    with pytest.raises(NotAllowed):
        add_year(deployed, 2027, NOTICE_2027, Actor("clerk", groups=frozenset({"window_clerk"})))
    with pytest.raises(ValueError, match="第2行"):
        add_year(deployed, 2027, "2027-01-01 休 元旦\n2027-13-01 休 错误", ADMIN)


def test_a_local_closure_moves_running_due_dates(deployed: EngineContext, applicant: Actor) -> None:
    from engine.services.calendar import add_closure

    seed_calendar(deployed, ADMIN)
    view = cases.start_case(deployed, "doc_review", applicant)
    tasks.complete_task(deployed, view.id, view.open_tasks[0].task_uuid, VALID_APPLICATION, applicant)
    assert case_deadlines(deployed, view.id).promised_due == date(2025, 10, 10)
    moved = add_closure(deployed, date(2025, 10, 9), "台风停办", ADMIN)
    assert [number for number, _, _ in moved] == [view.case_number]
    assert case_deadlines(deployed, view.id).promised_due == date(2025, 10, 11)  # the make-up Saturday
    assert not deployed.calendar.is_workday(date(2025, 10, 9))
    with pytest.raises(NotAllowed):
        add_closure(deployed, date(2025, 10, 13), "x", Actor("clerk", groups=frozenset({"window_clerk"})))
