"""The worklist comes in pages: each page starts after the last row of the one before (keyset
paging), so together the pages hold every open task once, oldest first, and a search narrows them."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from engine.actors import Actor
from engine.clock import FixedClock
from engine.services import cases
from engine.services import casework
from engine.services import tasks
from engine.services.context import EngineContext
from tests.conftest import dept_actor
from tests.services.conftest import VALID_APPLICATION
from webapp.views.work import format_page_key
from webapp.views.work import parse_page_key

REVIEWER = dept_actor("a_cb")


def _submitted(ctx: EngineContext, applicant: Actor) -> str:
    view = cases.start_case(ctx, "doc_review", applicant)
    submit = next(t for t in view.open_tasks if t.element_id == "submit")
    tasks.complete_task(ctx, view.id, submit.task_uuid, VALID_APPLICATION, applicant)
    return view.case_number


def test_pages_hold_every_open_task_once_oldest_first(deployed: EngineContext, applicant: Actor,
                                                      clock: FixedClock) -> None:
    numbers = []
    for minute in range(5):
        clock.set(clock.now().replace(minute=minute))  # two of them arrive at the very same time
        numbers.append(_submitted(deployed, applicant))
        if minute == 2:
            numbers.append(_submitted(deployed, applicant))
    whole = tasks.list_work_items(deployed, REVIEWER)
    assert [i.task.case_number for i in whole] == numbers
    pages, after = [], None
    while True:
        page = tasks.list_work_items(deployed, REVIEWER, limit=2, after=after)
        if not page:
            break
        pages.append([i.task.case_number for i in page])
        after = page[-1].page_key
    assert pages == [numbers[0:2], numbers[2:4], numbers[4:6]]
    assert [i.task.case_number for i in tasks.list_work_items(deployed, REVIEWER, search=numbers[3][-6:])] \
        == [numbers[3]]
    assert tasks.list_work_items(deployed, REVIEWER, search="100%") == []  # literal, not a wildcard


def test_a_page_key_survives_the_url_and_nonsense_starts_at_the_first_page() -> None:
    key = (datetime(2025, 9, 26, 2, 0, 0, 123456, tzinfo=UTC), 42)
    assert parse_page_key(format_page_key(key)) == key
    for bad in ("", "abc", "12-", "-3", "1.5-2", "9" * 40 + "-1", "1-2-3", "²-1", "1-٣"):
        assert parse_page_key(bad) is None, bad


def test_case_list_pages_follow_each_other_newest_first(deployed: EngineContext, applicant: Actor) -> None:
    window = Actor("window1", "窗口", frozenset({"window_clerk"}))
    started = [cases.start_case(deployed, "doc_review", applicant).case_number for _ in range(5)]
    first = casework.list_cases(deployed, window, limit=2)
    second = casework.list_cases(deployed, window, limit=2, before_id=first[-1].id)
    third = casework.list_cases(deployed, window, limit=2, before_id=second[-1].id)
    assert [c.case_number for c in first + second + third] == started[::-1]
