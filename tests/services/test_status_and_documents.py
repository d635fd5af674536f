"""办理状态 codes, frozen documents and deadlines follow what happened to the case."""

from __future__ import annotations

import hashlib

from engine.actors import Actor
from engine.clock import FixedClock
from engine.services import cases
from engine.services import tasks
from engine.services.context import EngineContext
from engine.services.deadlines import case_deadlines
from tests.conftest import dept_actor
from tests.readback import get_case
from tests.services.conftest import VALID_APPLICATION


def _do(ctx: EngineContext, case_id: int, element: str, values: dict, actor: Actor):  # type: ignore[no-untyped-def]
    view = get_case(ctx, case_id, with_data=False)
    task = next(t for t in view.open_tasks if t.element_id == element)
    return tasks.complete_task(ctx, case_id, task.task_uuid, values, actor)


def test_status_codes_and_documents_follow_the_path(deployed: EngineContext, applicant: Actor) -> None:
    view = cases.start_case(deployed, "doc_review", applicant)
    assert view.blzt == 1 and view.status_name == "已接件"
    view = _do(deployed, view.id, "submit", VALID_APPLICATION, applicant)
    assert view.blzt == 3
    view = _do(deployed, view.id, "review", {"a_opinion": "supplement"}, dept_actor("a_cb"))
    assert view.blzt == 6 and [t.element_id for t in view.open_tasks] == ["supplement"]
    view = _do(deployed, view.id, "supplement", {"b_opinion": "approve"}, applicant)
    assert view.blzt == 3  # 补正（结束） recorded; the case shows the code it had before the pause
    view = _do(deployed, view.id, "review", {"a_opinion": "approve"}, dept_actor("a_cb"))
    assert (view.status, view.blzt, view.status_name) == ("completed", 11, "办结（通过）")
    documents = cases.case_documents(deployed, view.id)
    assert [d.doc_key for d in documents] == ["receipt", "acceptance_notice", "supplement_notice", "permit"]
    assert [d.document_no[-2:] for d in documents] == ["01", "02", "03", "04"]
    assert "<li>建设工程规划许可证</li><li>施工图审查合格书</li>" in documents[2].html  # the complete list
    assert "滨江花园二期" in documents[3].html and "2025年9月26日" in documents[3].html
    assert "2025-10-10" in documents[1].html  # promised date: 5 working days after Fri 2025-09-26
    history = cases.case_history(deployed, view.id)
    issued = [h for h in history if h.event_type == "document_issued"]
    for event, document in zip(issued, documents, strict=True):
        assert event.data_after["sha256"] == document.sha256 == hashlib.sha256(document.html.encode()).hexdigest()
    codes = [int(h.to_state) for h in history if h.event_type == "status_changed"]
    assert codes == [1, 3, 6, 7, 11]


def test_denial_states_reasons_and_rights(deployed: EngineContext, applicant: Actor) -> None:
    view = cases.start_case(deployed, "doc_review", applicant)
    _do(deployed, view.id, "submit", VALID_APPLICATION, applicant)
    view = _do(deployed, view.id, "review", {"a_opinion": "reject"}, dept_actor("a_cb"))
    assert view.blzt == 13
    denial = cases.case_documents(deployed, view.id)[-1]
    assert denial.doc_key == "denial_decision" and denial.permit == "construction"
    assert "行政复议" in denial.html and "行政诉讼" in denial.html


def test_documents_are_frozen_once_issued(deployed: EngineContext, applicant: Actor, designer: Actor,
                                          tmp_path) -> None:  # type: ignore[no-untyped-def]
    view = cases.start_case(deployed, "doc_review", applicant)
    receipt_before = cases.case_documents(deployed, view.id)[0]
    _do(deployed, view.id, "submit", VALID_APPLICATION, applicant)
    assert cases.case_documents(deployed, view.id)[0] == receipt_before


def test_supplement_pauses_the_clock_where_the_matter_names_a_basis(deployed: EngineContext, applicant: Actor,
                                                                    clock: FixedClock) -> None:
    view = cases.start_case(deployed, "doc_review", applicant)
    _do(deployed, view.id, "submit", VALID_APPLICATION, applicant)
    before = case_deadlines(deployed, view.id)
    assert before is not None
    # Accepted Fri 2025-09-26: promised 5 WD -> 10-10 (National Day week is off), statutory 20 WD -> 10-30.
    assert (before.promised_due.isoformat(), before.statutory_due.isoformat()) == ("2025-10-10", "2025-10-30")
    assert before.promised_state == "normal"
    clock.set(clock.now().replace(month=10, day=13))  # Mon 2025-10-13: 补正 asked
    _do(deployed, view.id, "review", {"a_opinion": "supplement"}, dept_actor("a_cb"))
    assert case_deadlines(deployed, view.id).is_paused
    clock.set(clock.now().replace(day=16))  # Thu: materials back after 3 working days paused (13, 14, 15)
    _do(deployed, view.id, "supplement", {"b_opinion": "approve"}, applicant)
    after = case_deadlines(deployed, view.id)
    assert after.paused[-1][1] is not None
    assert after.statutory_due.isoformat() == "2025-11-04"  # 10-30 + 3 working days
    assert after.promised_state == "red"  # the promise (10-10) was already broken before the pause
    paused = [h for h in cases.case_history(deployed, view.id) if h.event_type == "deadline_paused"]
    assert paused[0].data_after["records"][""]["pauses"][0]["basis"] == "《测试审批办法》第九条"


def test_yellow_two_working_days_before_and_red_after(deployed: EngineContext, applicant: Actor,
                                                     clock: FixedClock) -> None:
    view = cases.start_case(deployed, "doc_review", applicant)
    _do(deployed, view.id, "submit", VALID_APPLICATION, applicant)
    clock.set(clock.now().replace(month=10, day=8))  # promised due 10-10; 10-09 and 10-10 remain
    assert case_deadlines(deployed, view.id).promised_state == "yellow"
    clock.set(clock.now().replace(day=11))  # Saturday 10-11 is a 调休 working day, after the due date
    assert case_deadlines(deployed, view.id).promised_state == "red"
