"""Drafts are not cases (issue #10 point 9): 在线申报 keeps a private draft; the case and its 办件编号
exist from submission, and nobody else (board, figures, lists, worklists, other clerks) sees a draft."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.actors import Actor
from engine.casenumbers import parse_case_number
from engine.clock import FixedClock
from engine.errors import CaseNotFound
from engine.services import cases
from engine.services import tasks
from engine.services.applications import file_application
from engine.services.casework import case_projection
from engine.services.casework import list_cases
from engine.services.context import EngineContext
from engine.services.hall import board_figures
from engine.services.parties import WalkInApplicant
from engine.services.stats import matter_statistics
from engine.services.submissions import FormInput
from engine.services.submissions import Outcome
from engine.services.submissions import submit_task
from tests.conftest import dept_actor
from tests.readback import get_case
from tests.services.conftest import VALID_APPLICATION

SUPERVISOR = Actor("sup1", "督查", frozenset({"supervisor"}))
ADMIN = Actor("admin1", "管理员", frozenset({"admin"}))
CLERK = Actor("clerk1", "窗口一", frozenset({"window_clerk"}))
OTHER_CLERK = Actor("clerk2", "窗口二", frozenset({"window_clerk"}))


def _submit_task(view) -> str:  # type: ignore[no-untyped-def]
    return next(t.task_uuid for t in view.open_tasks if t.element_id == "submit")


def test_a_click_on_apply_is_a_private_draft_without_a_number(deployed: EngineContext, applicant: Actor) -> None:
    view = cases.start_case(deployed, "parallel_review", applicant)
    assert (view.status, view.case_number) == ("draft", None)
    assert "case_number" not in view.data
    # Nobody but the applicant sees it: not the board, the figures, staff lists or case pages.
    assert board_figures(deployed).cases == ()
    assert all(row.total == 0 for row in matter_statistics(deployed))
    for staff in (SUPERVISOR, ADMIN, CLERK):
        assert list_cases(deployed, staff) == []
        with pytest.raises(CaseNotFound):
            case_projection(deployed, view.id, staff)
    mine = list_cases(deployed, applicant, own_only=True)
    assert [(c.id, c.case_number, c.status_name) for c in mine] == [(view.id, None, "草稿（未提交）")]


def test_saving_a_draft_keeps_it_private_and_unnumbered(deployed: EngineContext, applicant: Actor) -> None:
    view = cases.start_case(deployed, "parallel_review", applicant)
    saved = submit_task(deployed, view.id, _submit_task(view), applicant,
                        FormInput({"project_name": "滨江花园二期"}, as_draft=True))
    assert saved.outcome is Outcome.DRAFT_SAVED
    assert get_case(deployed, view.id).case_number is None
    assert board_figures(deployed).cases == ()


def test_the_number_and_the_receipt_are_the_submission_day(deployed: EngineContext, applicant: Actor,
                                                           clock: FixedClock) -> None:
    abandoned = cases.start_case(deployed, "parallel_review", applicant)  # clicked, never sent
    view = cases.start_case(deployed, "parallel_review", applicant)
    clock.set(clock.now() + timedelta(days=3))  # Friday's draft sent on Monday 2025-09-29
    sent = tasks.complete_task(deployed, view.id, _submit_task(view), VALID_APPLICATION, applicant)
    assert sent.status == "running"
    code, day, seq = parse_case_number(sent.case_number)
    # The day is the submission's, and the abandoned draft consumed no number of the daily sequence.
    assert (day.isoformat(), seq) == ("2025-09-29", 1)
    assert sent.received_at == clock.now()
    assert sent.data["case_number"] == sent.case_number
    assert get_case(deployed, abandoned.id).case_number is None
    # Now it is a case: on the board, in the figures and in the reviewers' worklists.
    assert len(board_figures(deployed).cases) == 1
    assert sum(row.total for row in matter_statistics(deployed)) == 1
    assert [c.id for c in list_cases(deployed, SUPERVISOR)] == [view.id]
    assert {t.case_id for t in tasks.list_worklist(deployed, dept_actor("a_cb"))} == {view.id}


def test_a_walk_in_draft_is_the_filing_clerks_alone(deployed: EngineContext) -> None:
    walk_in = WalkInApplicant("李四", "resident_id", "11010519491231002X", "13800138000")
    filed = file_application(deployed, "parallel_review", CLERK, walk_in=walk_in)
    assert filed.case.summary.case_number is None
    assert case_projection(deployed, filed.case_id, CLERK).summary.id == filed.case_id
    with pytest.raises(CaseNotFound):
        case_projection(deployed, filed.case_id, OTHER_CLERK)
    # The unsent form is not in any queue, not even the filer's (drafts are reached from the case list).
    assert tasks.list_worklist(deployed, CLERK) == []
    sent = tasks.complete_task(deployed, filed.case_id, filed.first_task, VALID_APPLICATION, CLERK)
    assert sent.case_number is not None
    assert case_projection(deployed, filed.case_id, OTHER_CLERK).summary.case_number == sent.case_number
