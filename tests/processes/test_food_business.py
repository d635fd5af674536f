"""食品经营许可, walked end to end through the shared 收件与受理 and 出件与好差评 sub-processes.

The clock starts on Friday 2025-09-26 10:00 China time, just before the National Day holiday
(10-01 to 10-08 off; Sunday 09-28 and Saturday 10-11 are working days), so every working-day
deadline below is one a clerk could check on the State Council calendar.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any

import pytest

from engine.errors import FormDataInvalid
from engine.services.cases import case_documents
from tests.processes.conftest import Hall
from tests.processes.conftest import first_provision
from tests.processes.conftest import refusal_at_reception

CN = timezone(timedelta(hours=8))
RECEIVED = "2025-09-26T10:00:00+08:00"
ID_NUMBER = "11010519491231002X"

APPLICATION = {
    "operator_name": "玄武区小王面馆", "uscc": "91320100MA1M11110A", "legal_representative": "王小明",
    "premises_address": "南京市玄武区中山路1号", "business_items": ["hot_food", "cold_food"],
    "premises_area_m2": 80, "contact_mobile": "13800138000", "delivery_method": "window",
}


# -- helpers -------------------------------------------------------------------------------------


def at(day: str, clock: str = "00:00:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=CN)


def move_to(hall: Hall, moment: datetime) -> int:
    """Move the clock to ``moment`` (China time) and let the timer worker run once."""
    return hall.advance(seconds=(moment - hall.clock.now()).total_seconds())


def apply(hall: Hall, **changes: Any) -> int:
    """Start a case and submit the application; the case then waits at the window."""
    hall.deploy("food_business")
    case = hall.start("food_business")
    assert hall.open(case.id) == ["apply"]
    hall.do(case.id, "apply", {**APPLICATION, **changes})
    assert hall.open(case.id) == ["rc_check"]
    return case.id


def accepted(hall: Hall, **changes: Any) -> int:
    case_id = apply(hall, **changes)
    hall.do(case_id, "rc_check", {"reception_decision": "accept", "reception_note": "材料齐全"})
    assert hall.open(case_id) == ["review"]
    return case_id


def review_and_grant(hall: Hall, case_id: int) -> None:
    hall.do(case_id, "review", {"review_result": "pass", "review_note": "材料符合要求，现场核查符合",
                                "site_check_result": "conforming", "site_inspectors": "李明、赵强",
                                "site_check_date": "2025-09-26"})
    assert hall.open(case_id) == ["approve"]
    hall.do(case_id, "approve", {"decision": "grant", "decision_reason": "符合食品经营许可条件，准予许可"})


def history(hall: Hall, case_id: int) -> list[tuple[str, str]]:
    return [(h.element_id, h.to_state) for h in hall.history(case_id) if h.event_type == "task_state_changed"]


def completed(hall: Hall, case_id: int) -> list[str]:
    return [element for element, state in history(hall, case_id) if state == "COMPLETED"]


def statuses(hall: Hall, case_id: int) -> list[int]:
    """The 办理状态 (BLZT) codes the case went through, in order."""
    return [int(h.to_state) for h in hall.history(case_id) if h.event_type == "status_changed"]


def documents(hall: Hall, case_id: int) -> list[str]:
    return [h.data_after["doc_key"] for h in hall.history(case_id) if h.event_type == "document_issued"]


# -- the ordinary path ---------------------------------------------------------------------------


def test_accepted_at_the_window_reviewed_granted_picked_up_and_rated(hall: Hall) -> None:
    case_id = accepted(hall)
    data = hall.case(case_id).data
    assert data["reception_result"] == "accepted" and data["acceptance_mode"] == "normal"
    assert data["received_at"] == data["accepted_at"] == RECEIVED
    # Counted from the day after acceptance, skipping the National Day holiday: 5 and 10 working days.
    assert hall.due_dates(case_id) == ("2025-10-10", "2025-10-16")
    assert data["deferred_items"] == ""

    review_and_grant(hall, case_id)
    assert hall.open(case_id) == ["dl_pickup"]
    data = hall.case(case_id).data
    assert data["case_result"] == "granted"
    assert (data["permit_issued_on"], data["permit_valid_until"]) == ("2025-09-26", "2030-09-25")

    hall.do(case_id, "dl_pickup", {"picked_up_by": "王小明", "pickup_id_number": ID_NUMBER.lower()})
    assert hall.open(case_id) == ["dl_rating"]
    view = hall.do(case_id, "dl_rating", {"rating": "satisfied", "rating_comment": "办事很快"})
    assert view.status == "completed" and hall.open(case_id) == []
    data = hall.case(case_id).data
    assert data["pickup_id_number"] == ID_NUMBER  # stored upper-cased
    assert data["delivery_result"] == "delivered" and data["rating"] == "satisfied"
    assert statuses(hall, case_id) == [1, 3, 8, 11]
    assert documents(hall, case_id) == ["receipt", "acceptance_notice", "food_business_permit"]
    assert "dl_callback" not in completed(hall, case_id)
    assert completed(hall, case_id)[-1] == "end_done"


def test_correcting_on_the_spot_rechecks_without_moving_the_five_day_deadline(hall: Hall) -> None:
    case_id = apply(hall)
    assert hall.case(case_id).next_timer_due == at("2025-10-10", "23:59:59")
    hall.clock.advance(hours=1)
    hall.do(case_id, "rc_check", {"reception_decision": "correct_on_spot", "reception_note": "更正经营场所门牌号"})
    assert hall.open(case_id) == ["rc_check"]
    assert hall.case(case_id).next_timer_due == at("2025-10-10", "23:59:59")
    hall.do(case_id, "rc_check", {"reception_decision": "accept"})
    assert hall.open(case_id) == ["review"]
    assert hall.case(case_id).data["accepted_at"] == "2025-09-26T11:00:00+08:00"
    assert completed(hall, case_id).count("rc_check") == 2


# -- 补正 ------------------------------------------------------------------------------------------


def test_supplement_before_acceptance_then_accepted_and_granted(hall: Hall) -> None:
    case_id = apply(hall)
    hall.do(case_id, "rc_check", {"reception_decision": "supplement",
                                  "missing_items": "营业执照复印件\n主要设备设施布局图"})
    assert hall.open(case_id) == ["rc_supplement"]
    # One notice listing everything; the applicant has 30 working days.
    assert documents(hall, case_id) == ["receipt", "supplement_notice"]
    assert hall.case(case_id).next_timer_due == at("2025-11-13", "23:59:59")

    # The notice went out in time, so the 5-working-day rule no longer makes it "accepted".
    assert move_to(hall, at("2025-10-20", "10:00:00")) == 0
    assert hall.open(case_id) == ["rc_supplement"]

    hall.do(case_id, "rc_supplement", {"supplement_files": [{"id": "f-101", "name": "营业执照.pdf"}],
                                       "supplement_note": "已补齐"})
    assert hall.open(case_id) == ["rc_check"]
    # A fresh 5-working-day check period runs from receipt of the supplemented materials.
    assert hall.case(case_id).next_timer_due == at("2025-10-27", "23:59:59")
    hall.do(case_id, "rc_check", {"reception_decision": "accept"})
    assert hall.open(case_id) == ["review"]
    data = hall.case(case_id).data
    assert data["received_at"] == RECEIVED
    assert data["accepted_at"] == "2025-10-20T10:00:00+08:00"
    assert hall.due_dates(case_id) == ("2025-10-27", "2025-11-03")
    assert data["supplement_rounds"] == 1 and data["supplement_received_at"] == "2025-10-20T10:00:00+08:00"

    review_and_grant(hall, case_id)
    hall.do(case_id, "dl_pickup", {"picked_up_by": "王小明", "pickup_id_number": ID_NUMBER})
    hall.do(case_id, "dl_rating", {"rating": "very_satisfied"})
    assert hall.case(case_id).status == "completed"
    assert statuses(hall, case_id) == [1, 3, 8, 11]


def test_applicant_who_never_supplements_before_acceptance_is_refused_in_writing(hall: Hall) -> None:
    """Before acceptance, a missed 补正 deadline (30 working days, matter.toml) means 视为放弃申请:
    a 不予受理决定书 is issued, not a silent 已撤件."""
    case_id = apply(hall)
    hall.do(case_id, "rc_check", {"reception_decision": "supplement", "missing_items": "营业执照复印件"})
    notice = [d for d in case_documents(hall.ctx, case_id) if d.doc_key == "supplement_notice"][0].html
    assert "请于 2025年11月13日 前补正" in notice
    assert move_to(hall, at("2025-11-13", "23:00:00")) == 0
    assert hall.open(case_id) == ["rc_supplement"]
    assert move_to(hall, at("2025-11-14")) == 1
    view = hall.case(case_id)
    assert view.status == "completed" and hall.open(case_id) == []
    assert view.data["reception_result"] == "abandoned"
    assert ("rc_supplement", "CANCELLED") in history(hall, case_id)
    assert completed(hall, case_id)[-2:] == ["gw_accepted", "end_not_accepted"]
    assert statuses(hall, case_id) == [1, 5]
    assert documents(hall, case_id)[-1] == "refusal_notice"
    refusal = case_documents(hall.ctx, case_id)[-1].html
    assert "补正期限至 2025年11月13日" in refusal and "视为放弃申请" in refusal and "不予受理" in refusal
    assert "review" not in completed(hall, case_id)


def test_supplement_during_review_pauses_the_clock_and_returns_to_review(hall: Hall) -> None:
    case_id = accepted(hall)
    hall.do(case_id, "review", {"review_result": "supplement", "review_note": "布局图与现场不一致",
                                "review_missing_items": "与现场一致的设备设施布局图"})
    assert hall.open(case_id) == ["supplement"]
    data = hall.case(case_id).data
    assert data["missing_items"] == "与现场一致的设备设施布局图" and data["supplement_stage"] == "review"
    assert statuses(hall, case_id) == [1, 3, 8, 6]
    assert documents(hall, case_id)[-1] == "supplement_notice"

    hall.do(case_id, "supplement", {"supplement_files": ["file-202"]})
    assert hall.open(case_id) == ["review"]
    assert statuses(hall, case_id) == [1, 3, 8, 6, 7]
    review_and_grant(hall, case_id)
    hall.do(case_id, "dl_pickup", {"picked_up_by": "王小明", "pickup_id_number": ID_NUMBER})
    hall.do(case_id, "dl_rating", {"rating": "basically_satisfied"})
    assert hall.case(case_id).status == "completed"
    assert statuses(hall, case_id) == [1, 3, 8, 6, 7, 8, 11]


def test_supplement_during_review_never_supplied_ends_the_case(hall: Hall) -> None:
    case_id = accepted(hall)
    hall.do(case_id, "review", {"review_result": "supplement", "review_note": "缺健康证明",
                                "review_missing_items": "从业人员健康证明"})
    assert hall.case(case_id).next_timer_due == at("2025-11-13", "23:59:59")
    assert move_to(hall, at("2025-11-14")) == 1
    view = hall.case(case_id)
    # After acceptance the matter's configured outcome: 不予许可, with its reason, in a written decision.
    assert view.status == "completed" and view.data["case_result"] == "denied"
    assert statuses(hall, case_id) == [1, 3, 8, 6, 13]
    assert completed(hall, case_id)[-1] == "end_withdrawn"
    denial = case_documents(hall.ctx, case_id)[-1]
    assert denial.doc_key == "denial_decision" and "补正期限（2025-11-13）" in denial.html
    record = hall.deadlines(case_id)
    assert record is not None and record.finished and record.closed_on == date(2025, 11, 14)


# -- refusals --------------------------------------------------------------------------------------


def test_refusal_to_accept_issues_a_reasoned_notice_and_ends(hall: Hall) -> None:
    case_id = apply(hall)
    view = hall.do(case_id, "rc_check", refusal_at_reception("仅销售预包装食品，依法办理备案，无需许可"))
    assert view.status == "completed" and hall.open(case_id) == []
    data = hall.case(case_id).data
    assert data["reception_result"] == "refused"
    assert data["reception_note"] == "仅销售预包装食品，依法办理备案，无需许可"
    assert statuses(hall, case_id) == [1, 5]
    assert documents(hall, case_id) == ["receipt", "refusal_notice"]
    assert "review" not in completed(hall, case_id)


def test_denied_permit_issues_a_denial_decision_and_no_delivery(hall: Hall) -> None:
    case_id = accepted(hall)
    hall.do(case_id, "review", {"review_result": "fail", "review_note": "经营场所距污染源不足25米",
                                "site_check_result": "not_conforming"})
    assert hall.open(case_id) == ["approve"]
    view = hall.do(case_id, "approve", {"decision": "deny", "decision_reason": "经营场所不符合卫生要求",
                                         "decision_provision": first_provision(hall, "food_business")})
    assert view.status == "completed" and hall.open(case_id) == []
    data = hall.case(case_id).data
    assert data["case_result"] == "denied" and data["decision_reason"] == "经营场所不符合卫生要求"
    assert statuses(hall, case_id) == [1, 3, 8, 13]
    assert documents(hall, case_id)[-1] == "denial_decision"
    assert not [e for e in completed(hall, case_id) if e.startswith("dl_")]


# -- 逾期视为受理 ------------------------------------------------------------------------------------


def test_no_action_for_five_working_days_counts_as_accepted_on_the_day_of_receipt(hall: Hall) -> None:
    case_id = apply(hall)
    assert hall.case(case_id).next_timer_due == at("2025-10-10", "23:59:59")
    assert move_to(hall, at("2025-10-09", "23:59:59")) == 0
    assert hall.open(case_id) == ["rc_check"]
    assert move_to(hall, at("2025-10-10", "23:59:58")) == 0
    assert move_to(hall, at("2025-10-11")) == 1
    assert hall.open(case_id) == ["review"]
    data = hall.case(case_id).data
    assert data["acceptance_mode"] == "auto" and data["reception_result"] == "accepted"
    assert data["accepted_at"] == data["received_at"] == RECEIVED
    assert hall.due_dates(case_id) == ("2025-10-10", "2025-10-16")
    assert ("rc_check", "CANCELLED") in history(hall, case_id)
    assert {"rc_check_timeout", "rc_auto_accept"} <= set(completed(hall, case_id))
    assert statuses(hall, case_id) == [1, 3]
    assert documents(hall, case_id) == ["receipt", "acceptance_notice"]


# -- 兜底窗口 / 容缺受理 ------------------------------------------------------------------------------


def fallback_accept(hall: Hall, **changes: Any) -> int:
    case_id = apply(hall, **changes)
    hall.do(case_id, "rc_check", {"reception_decision": "fallback", "reception_note": "缺非核心材料"})
    assert hall.open(case_id) == ["rc_fallback"]
    hall.do(case_id, "rc_fallback", {"deferred_items": "食品安全自查制度文本", "commitment_signed": "yes",
                                     "deferred_limit_wd": 20, "fallback_note": "已签署容缺受理承诺书"})
    assert hall.open(case_id) == ["review"]
    return case_id


def test_fallback_window_accepts_with_gaps_supplied_before_pickup(hall: Hall) -> None:
    case_id = fallback_accept(hall)
    data = hall.case(case_id).data
    assert data["acceptance_mode"] == "deferred" and data["deferred_items"] == "食品安全自查制度文本"
    assert data["accepted_at"] == RECEIVED

    review_and_grant(hall, case_id)
    assert statuses(hall, case_id) == [1, 3, 8, 12]  # 办结（容缺通过）
    assert hall.open(case_id) == ["dl_deferred_supplement"]  # no certificate before the gaps are filled
    hall.do(case_id, "dl_deferred_supplement", {"deferred_files": ["file-301"]})
    assert hall.open(case_id) == ["dl_deferred_check"]
    hall.do(case_id, "dl_deferred_check", {"deferred_check_result": "incomplete", "deferred_check_note": "缺盖章"})
    assert hall.open(case_id) == ["dl_deferred_supplement"]
    hall.do(case_id, "dl_deferred_supplement", {"deferred_files": ["file-302"], "deferred_note": "已盖章"})
    hall.do(case_id, "dl_deferred_check", {"deferred_check_result": "complete"})
    assert hall.open(case_id) == ["dl_pickup"]
    hall.do(case_id, "dl_pickup", {"picked_up_by": "王小明", "pickup_id_number": ID_NUMBER})
    hall.do(case_id, "dl_rating", {"rating": "very_satisfied"})
    view = hall.case(case_id)
    assert view.status == "completed"
    assert view.data["deferred_completed_at"] == RECEIVED and view.data["delivery_result"] == "delivered"


def test_fallback_without_a_signed_commitment_goes_back_to_the_window(hall: Hall) -> None:
    case_id = apply(hall)
    hall.do(case_id, "rc_check", {"reception_decision": "fallback"})
    hall.do(case_id, "rc_fallback", {"deferred_items": "食品安全自查制度文本", "commitment_signed": "no",
                                     "deferred_limit_wd": 20})
    assert hall.open(case_id) == ["rc_check"]
    assert hall.case(case_id).next_timer_due == at("2025-10-10", "23:59:59")


def test_deferred_items_not_supplied_in_time_can_be_extended_then_the_permit_revoked(hall: Hall) -> None:
    case_id = fallback_accept(hall)
    review_and_grant(hall, case_id)
    # 20 working days from acceptance on 09-26.
    assert hall.case(case_id).next_timer_due == at("2025-10-30", "23:59:59")
    assert move_to(hall, at("2025-10-31", "09:00:00")) == 1
    assert hall.open(case_id) == ["dl_deferred_overdue"]
    hall.do(case_id, "dl_deferred_overdue", {"overdue_action": "extend", "extension_wd": 5,
                                             "overdue_note": "申请人说明正在修订制度"})
    assert hall.open(case_id) == ["dl_deferred_supplement"]
    assert hall.case(case_id).next_timer_due == at("2025-11-07", "23:59:59")
    assert move_to(hall, at("2025-11-08")) == 1
    # The timer only raised it to the 负责人; revoking takes a notice, a 陈述申辩 period and a decision.
    assert hall.case(case_id).open_tasks[0].candidate_groups == ("scjg_fzr",)
    hall.do(case_id, "dl_deferred_overdue", {"overdue_action": "revoke", "overdue_note": "延期后仍未补交自查制度文本"})
    assert hall.open(case_id) == ["rv_statement"] and documents(hall, case_id)[-1] == "revocation_notice"
    hall.do(case_id, "rv_statement", {"statement_text": "无异议。"})
    view = hall.do(case_id, "rv_decide", {"revocation_decision": "revoke", "record_credit": "yes",
                                          "decision_reasons": "延期后仍未补交自查制度文本，容缺承诺未履行。"})
    assert view.status == "completed" and hall.open(case_id) == []
    data = hall.case(case_id).data
    assert data["delivery_result"] == "revoked"
    assert "容缺承诺未履行" in data["credit_violation_reason"]
    assert statuses(hall, case_id)[-1] == 15
    assert documents(hall, case_id)[-1] == "revocation_decision"
    assert "dl_pickup" not in completed(hall, case_id)


# -- 出件 ------------------------------------------------------------------------------------------


def test_ems_delivery_refuses_a_bad_tracking_number_and_unrated_cases_close_after_15_days(hall: Hall) -> None:
    case_id = accepted(hall, delivery_method="ems", mailing_address="南京市玄武区中山路1号 王小明收")
    review_and_grant(hall, case_id)
    assert hall.open(case_id) == ["dl_ems"]
    before = len(hall.history(case_id))
    with pytest.raises(FormDataInvalid) as info:
        hall.do(case_id, "dl_ems", {"mailing_address": "南京市玄武区中山路1号 王小明收",
                                    "ems_tracking_number": "EMS12345"})
    assert set(info.value.errors) == {"ems_tracking_number"}
    assert hall.open(case_id) == ["dl_ems"] and len(hall.history(case_id)) == before
    assert "ems_tracking_number" not in hall.case(case_id).data

    hall.do(case_id, "dl_ems", {"mailing_address": "南京市玄武区中山路1号 王小明收",
                                "ems_tracking_number": "EA123456789CN"})
    assert hall.open(case_id) == ["dl_rating"]
    assert move_to(hall, at("2025-10-11", "09:00:00")) == 0  # 15 calendar days not yet over
    assert move_to(hall, at("2025-10-11", "10:00:01")) == 1
    view = hall.case(case_id)
    assert view.status == "completed" and hall.open(case_id) == []
    assert view.data["ems_tracking_number"] == "EA123456789CN" and view.data["delivery_result"] == "delivered"
    assert "rating" not in view.data
    assert "dl_end_unrated" in completed(hall, case_id)


def test_bad_rating_is_called_back_and_late_rectification_is_escalated(hall: Hall) -> None:
    case_id = accepted(hall)
    review_and_grant(hall, case_id)
    hall.do(case_id, "dl_pickup", {"picked_up_by": "王小明", "pickup_id_number": ID_NUMBER})
    hall.do(case_id, "dl_rating", {"rating": "dissatisfied", "rating_comment": "窗口排队时间过长"})
    assert hall.open(case_id) == ["dl_callback"]
    hall.do(case_id, "dl_callback", {"callback_finding": "valid", "callback_note": "电话回访，情况属实"})
    assert hall.open(case_id) == ["dl_rectify"]
    assert hall.case(case_id).next_timer_due == at("2025-10-10", "23:59:59")
    assert move_to(hall, at("2025-10-11")) == 1
    # The deadline does not take the work away: rectification stays open and a 督办 task is added.
    assert sorted(hall.open(case_id)) == ["dl_escalate", "dl_rectify"]
    hall.do(case_id, "dl_escalate", {"supervision_note": "请于两日内完成整改"})
    assert hall.open(case_id) == ["dl_rectify"] and hall.case(case_id).status == "running"
    view = hall.do(case_id, "dl_rectify", {"rectification_measures": "高峰期增开窗口",
                                           "rectification_feedback": "已电话告知申请人"})
    assert view.status == "completed"
    data = hall.case(case_id).data
    assert data["rating"] == "dissatisfied" and data["rectification_measures"] == "高峰期增开窗口"
    assert {"dl_escalate", "dl_end_escalated", "dl_end_rectified"} <= set(completed(hall, case_id))


def test_bad_rating_without_legal_basis_is_explained_and_closed(hall: Hall) -> None:
    case_id = accepted(hall)
    review_and_grant(hall, case_id)
    hall.do(case_id, "dl_pickup", {"picked_up_by": "王小明", "pickup_id_number": ID_NUMBER})
    hall.do(case_id, "dl_rating", {"rating": "very_dissatisfied", "rating_comment": "希望免于现场核查"})
    view = hall.do(case_id, "dl_callback", {"callback_finding": "explained",
                                            "callback_note": "已解释现场核查的法定要求"})
    assert view.status == "completed" and hall.open(case_id) == []
    assert "dl_rectify" not in [element for element, _state in history(hall, case_id)]
    assert hall.case(case_id).next_timer_due is None
