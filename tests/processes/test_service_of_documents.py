"""Service (送达) of every written decision on the applicant (issue #10 point 4), on real 2025 dates.

Certificates, 不予许可, 不予受理 and 补正 notices open a pending service by the applicant's chosen channel;
a clerk records the window pickup (receiver and 身份证号) or the EMS number, the applicant's opening
records an online service; each delivery is a history row. A certificate issued Fri 2025-09-26 (before
the National Day week) is flagged on its 7th working day (Mon 10-13) and overdue after its 10th (Thu 10-16).
"""

from __future__ import annotations

from datetime import date
from datetime import timedelta
from typing import Any

import pytest

from engine.actors import Actor
from engine.errors import CaseNotFound
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.services import cases
from engine.services import casework
from engine.services.service_of_documents import record_delivery
from engine.services.service_of_documents import watched_services
from engine.services.views import DocumentView
from tests.processes import test_food_business as food_walk
from tests.processes import test_hygiene_licence as hygiene_walk
from tests.processes.conftest import Hall
from tests.processes.conftest import first_provision
from tests.processes.conftest import refusal_at_reception

CLERK = Actor("clerk_1", "窗口人员", frozenset({"window_clerk"}))
SUPERVISOR = Actor("sup_1", "督办人员", frozenset({"supervisor"}))
REVIEWER = Actor("rev_1", "其他部门", frozenset({"zj_chengban"}))
APPLICANT = Actor("u_applicant", "申请人", frozenset({"applicant"}))
ID_NUMBER = "11010519491231002X"


def _document(hall: Hall, case_id: int, doc_key: str) -> DocumentView:
    return next(d for d in cases.case_documents(hall.ctx, case_id) if d.doc_key == doc_key)


def _served_rows(hall: Hall, case_id: int) -> list[dict[str, Any]]:
    return [dict(h.data_after or {}) for h in hall.history(case_id) if h.event_type == "document_served"]


def _denied_food_case(hall: Hall, **changes: Any) -> int:
    case_id = food_walk.accepted(hall, **changes)
    hall.do(case_id, "review", {"review_result": "fail", "review_note": "经营场所距污染源不足25米",
                                "site_check_result": "not_conforming"})
    hall.do(case_id, "approve", {"decision": "deny", "decision_reason": "经营场所距粪坑等污染源不足25米",
                                 "decision_provision": first_provision(hall, "food_business")})
    return case_id


def test_a_served_denial_is_in_the_history(hall: Hall) -> None:
    case_id = _denied_food_case(hall)
    denial = _document(hall, case_id, "denial_decision")
    assert denial.service is not None and (denial.service.status, denial.service.channel) == ("pending", "window")
    seen = record_delivery(hall.ctx, case_id, denial.id, CLERK, {"channel": "window", "receiver_name": "王小明",
                                                                 "receiver_id_number": ID_NUMBER.lower()})
    assert (seen.status, seen.receiver_name, seen.receiver_id_masked) == ("served", "王小明", "110105********002X")
    [served] = _served_rows(hall, case_id)
    assert served["document_no"] == denial.document_no and served["title"] == "不予行政许可决定书"
    assert served["channel"] == "window" and served["receiver_id"] == "110105********002X"
    timeline = casework.case_projection(hall.ctx, case_id, APPLICANT).timeline
    assert any(e.event_type == "document_served" for e in timeline)  # the applicant sees it was served
    with pytest.raises(FormDataInvalid):  # once only
        record_delivery(hall.ctx, case_id, denial.id, CLERK, {"channel": "ems", "tracking_number": "EA123456789CN"})
    assert len(_served_rows(hall, case_id)) == 1


@pytest.mark.parametrize("entry", [
    {"channel": "window", "receiver_name": "王小明", "receiver_id_number": "110105194912310021"},  # bad check digit
    {"channel": "window", "receiver_name": "", "receiver_id_number": ID_NUMBER},
    {"channel": "ems", "tracking_number": "12345"},
    {"channel": "online"},  # the applicant's opening is the online service, not a clerk's entry
    {"channel": "pigeon"},
])
def test_an_incomplete_delivery_entry_is_refused_and_changes_nothing(hall: Hall, entry: dict[str, str]) -> None:
    case_id = _denied_food_case(hall)
    denial = _document(hall, case_id, "denial_decision")
    history_before = len(hall.history(case_id))
    with pytest.raises(FormDataInvalid) as refused:
        record_delivery(hall.ctx, case_id, denial.id, CLERK, entry)
    assert all(message for message in refused.value.errors.values())
    assert len(hall.history(case_id)) == history_before
    assert _document(hall, case_id, "denial_decision").service.status == "pending"  # type: ignore[union-attr]


def test_only_counter_staff_record_a_delivery(hall: Hall) -> None:
    case_id = _denied_food_case(hall)
    denial = _document(hall, case_id, "denial_decision")
    entry = {"channel": "ems", "tracking_number": "EA123456789CN"}
    with pytest.raises(NotAllowed):
        record_delivery(hall.ctx, case_id, denial.id, APPLICANT, entry)
    with pytest.raises(CaseNotFound):  # a reviewer of another department does not see the case at all
        record_delivery(hall.ctx, case_id, denial.id, REVIEWER, entry)
    assert _served_rows(hall, case_id) == []


def test_an_online_refusal_is_served_when_the_applicant_opens_it(hall: Hall) -> None:
    case_id = food_walk.apply(hall, delivery_method="online")
    hall.do(case_id, "rc_check", refusal_at_reception("仅销售预包装食品，依法办理备案，无需许可"))
    notice = _document(hall, case_id, "refusal_notice")
    assert notice.service is not None and notice.service.channel == "online"
    casework.case_document(hall.ctx, case_id, notice.id, CLERK)  # staff reading it serves nothing
    assert _served_rows(hall, case_id) == []
    hall.clock.advance(hours=3)
    opened = casework.case_document(hall.ctx, case_id, notice.id, APPLICANT)
    assert opened.service is not None and opened.service.status == "served"
    assert opened.service.served_at == hall.clock.now()
    [served] = _served_rows(hall, case_id)
    assert served["channel"] == "online" and served["doc_key"] == "refusal_notice"
    casework.case_document(hall.ctx, case_id, notice.id, APPLICANT)  # opening again records nothing more
    assert len(_served_rows(hall, case_id)) == 1


def test_a_supplement_notice_is_served_too(hall: Hall) -> None:
    case_id = food_walk.apply(hall)
    hall.do(case_id, "rc_check", {"reception_decision": "supplement", "missing_items": "营业执照副本复印件"})
    notice = _document(hall, case_id, "supplement_notice")
    assert notice.service is not None and notice.service.kind == "notice" and notice.service.due_on is None
    record_delivery(hall.ctx, case_id, notice.id, CLERK, {"channel": "ems", "tracking_number": "ea123456789cn"})
    assert _served_rows(hall, case_id)[0]["tracking_number"] == "EA123456789CN"


def _granted_hygiene_case(hall: Hall) -> int:
    hall.deploy(hygiene_walk.MATTER)
    case_id = hygiene_walk.apply_and_accept(hall)
    hygiene_walk.through_review(hall, case_id)
    hall.do(case_id, "approve", {"chief_decision": "grant", "chief_opinion": "同意发证"})
    return case_id


def _move_to(hall: Hall, day: date) -> None:
    """To 10:00 China time on ``day``, letting the timer worker run."""
    now = hall.clock.now()
    target = now.replace(year=day.year, month=day.month, day=day.day)
    hall.advance(seconds=(target - now).total_seconds())


def _watched(hall: Hall, actor: Actor = SUPERVISOR) -> list[tuple[int, str]]:
    return [(w.case_id, w.service.flag) for w in watched_services(hall.ctx, actor)]


def test_an_unserved_certificate_is_flagged_on_day_7_and_overdue_after_day_10(hall: Hall) -> None:
    case_id = _granted_hygiene_case(hall)
    permit = _document(hall, case_id, "hygiene_permit").service
    assert permit is not None and permit.kind == "certificate"
    assert (permit.warn_on, permit.due_on) == (date(2025, 10, 13), date(2025, 10, 16))  # 国庆 8 days off
    _move_to(hall, date(2025, 10, 11))  # a 调休 Saturday, the 6th working day
    assert _watched(hall) == []
    _move_to(hall, date(2025, 10, 13))
    assert _watched(hall) == [(case_id, "warning")]
    assert _watched(hall, CLERK) == []  # the flag is the supervisor's
    _move_to(hall, date(2025, 10, 16))  # the 10th working day is still in time
    assert _watched(hall) == [(case_id, "warning")]
    _move_to(hall, date(2025, 10, 17))
    assert _watched(hall) == [(case_id, "overdue")]
    assert _document(hall, case_id, "hygiene_permit").service.flag_name == "超过送达期限"  # type: ignore[union-attr]
    hygiene_walk.deliver_at_window(hall, case_id)  # the pickup task serves it, late
    assert _watched(hall) == []
    [served] = _served_rows(hall, case_id)
    assert served["channel"] == "window" and served["receiver_name"] == "陈立" and served["in_time"] is False


def test_the_pickup_task_serves_the_certificate_in_time(hall: Hall) -> None:
    case_id = _granted_hygiene_case(hall)
    hall.clock.advance(days=1)
    hygiene_walk.deliver_at_window(hall, case_id)
    permit = _document(hall, case_id, "hygiene_permit").service
    assert permit is not None and permit.status == "served" and permit.receiver_id_masked == "320102********1238"
    assert _served_rows(hall, case_id)[0]["in_time"] is True
    assert hall.clock.now() - permit.served_at < timedelta(seconds=1)  # type: ignore[operator]
