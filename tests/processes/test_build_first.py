"""企业投资项目“先建后验”告知承诺审批 (processes/build_first), walked role by role on the injected clock.

The clock starts on Friday 2025-09-26 10:00 China time. Sunday 2025-09-28 is a 调休 working day and
2025-10-01..08 is the National Day holiday, so "one working day later" is Sunday 2025-09-28.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.services import cases
from engine.services import department_data
from tests.processes.conftest import Hall

MATTER = "build_first"
CLEAN_CODE = "91320100MA1XKT3B9G"
BLACKLISTED_CODE = "91320100MA27Q8RN4B"
AGENT = "agent_wang"

FILING: dict[str, Any] = {
    "project_code": "2025-320115-34-03-512345",
    "project_name": "江宁智能装备产业园一期厂房",
    "enterprise_name": "南京某智能装备有限公司",
    "credit_code": CLEAN_CODE,
    "project_type": "industrial",
    "industry": "通用设备制造业",
    "construction_address": "南京市江宁区秣陵街道将军大道 88 号",
    "total_investment_wan": 12000,
    "land_area_m2": 30000,
    "floor_area_m2": 42000,
    "regional_assessment_no": "JN-QYPG-2024-007",
    "contact_name": "赵敏",
    "contact_mobile": "13912345678",
    "filing_certificate_files": ["att-filing-1"],
    "land_certificate_files": ["att-land-1"],
    "site_plan_files": ["att-plan-1"],
    "delivery_method": "window",
}
COMMITMENT: dict[str, Any] = {
    "commit_land_planning": True,
    "commit_drawings": True,
    "drawings_by": "2025-10-31",
    "commit_inspection_report": True,
    "inspection_report_by": "2025-12-31",
    "commit_funds": True,
    "commit_quality_safety": True,
    "signatory_name": "钱进",
    "commitment_signed": True,
}
AGREE = "agree"
NOTICE: dict[str, Any] = {"construction_notice_no": "JN-SGTZ-2025-0042", "planned_start_date": "2025-10-09"}


def _open(hall: Hall, case_id: int) -> set[str]:
    return set(hall.open(case_id))


def _documents(hall: Hall, case_id: int) -> list[str]:
    return [d.doc_key for d in cases.case_documents(hall.ctx, case_id)]


def _status_codes(hall: Hall, case_id: int) -> list[int]:
    return [int(h.to_state) for h in hall.history(case_id) if h.event_type == "status_changed"]


def _completed(hall: Hall, case_id: int) -> set[str]:
    return {h.element_id for h in hall.history(case_id) if h.to_state == "COMPLETED"}


def _to_eligibility(hall: Hall, filing: dict[str, Any] | None = None, track: str = "commitment") -> int:
    """Start a case and walk it through filing, agent assignment and pre-review (credit check + DMN run)."""
    case = hall.start(MATTER)
    assert hall.open(case.id) == ["filing"]
    view = hall.do(case.id, "filing", {**FILING, **(filing or {})})
    assert view.blzt == 1
    hall.do(case.id, "assign_agent", {"agent_username": AGENT, "agent_name": "王立", "agent_mobile": "13812345678"})
    hall.do(case.id, "pre_review", {"track_choice": track, "prereview_opinion": "材料齐全，已告知承诺内容和法律责任。"},
            user=AGENT)
    return case.id


def _to_construction(hall: Hall, commitment: dict[str, Any] | None = None) -> int:
    """Eligible case, commitment signed, joint review passed, construction notice issued."""
    case_id = _to_eligibility(hall)
    assert hall.open(case_id) == ["sign_commitment"]
    view = hall.do(case_id, "sign_commitment", {**COMMITMENT, **(commitment or {})})
    assert view.blzt == 8  # 已受理 (3), then the departments start (8)
    assert _open(hall, case_id) == {"fg_review", "zrgh_review", "zj_review"}
    hall.do(case_id, "fg_review", {"fg_opinion": AGREE})
    hall.do(case_id, "zrgh_review", {"zrgh_opinion": AGREE, "zrgh_comment": "符合区域评估成果和规划条件"})
    hall.do(case_id, "zj_review", {"zj_opinion": AGREE})
    assert hall.open(case_id) == ["issue_notice"]
    hall.do(case_id, "issue_notice", NOTICE)
    assert _open(hall, case_id) == {"deliver_drawings", "deliver_report"}
    return case_id


def _deliver_drawings(hall: Hall, case_id: int) -> None:
    hall.do(case_id, "deliver_drawings", {"drawings_review_cert_no": "SCHG-2025-1188", "drawings_files": ["att-dwg-1"],
                                          "drawings_delivered": True})


def _deliver_report(hall: Hall, case_id: int) -> None:
    hall.do(case_id, "deliver_report", {"report_no": "JC-2025-0931", "report_agency": "南京市建设工程质量检测中心",
                                        "report_files": ["att-report-1"], "report_delivered": True})


def _permits_acceptance_delivery(hall: Hall, case_id: int) -> None:
    assert hall.open(case_id) == ["issue_planning_permit"]
    hall.do(case_id, "issue_planning_permit", {"planning_permit_no": "建字第320115202500123号"})
    hall.do(case_id, "issue_construction_permit", {"construction_permit_no": "320115202510090101",
                                                   "contractor": "江苏某建设集团有限公司",
                                                   "supervisor_unit": "南京某工程监理有限公司",
                                                   "contract_amount_wan": 8600.5})
    view = hall.do(case_id, "joint_acceptance", {"acceptance_opinion": "规划、土地、消防、人防、档案验收合格。",
                                                 "acceptance_passed": True})
    assert view.blzt == 11
    assert hall.open(case_id) == ["dl_pickup"]
    hall.do(case_id, "dl_pickup", {"picked_up_by": "赵敏", "pickup_id_number": "32010219850612123X"})
    assert hall.open(case_id) == ["dl_rating"]
    view = hall.do(case_id, "dl_rating", {"rating": "very_satisfied"})
    assert view.status == "completed" and view.blzt == 11


def test_happy_path_commitments_kept_to_permits_acceptance_and_rating(hall: Hall) -> None:
    hall.deploy(MATTER)
    case_id = _to_construction(hall)
    data = hall.case(case_id).data
    assert data["credit_check"] == {"clean": True, "violations": 0}
    assert data["eligible"] is True and data["ineligible_reason"] == ""
    assert data["accepted_at"] == "2025-09-26T10:00:00+08:00"
    assert hall.due_dates(case_id)[0] == "2025-10-11"  # 6 working days (10-11 is a 调休 Saturday)
    assert data["construction_unit"] == FILING["enterprise_name"]

    hall.advance(days=14)  # well before both commitment deadlines: nothing fires
    assert _open(hall, case_id) == {"deliver_drawings", "deliver_report"}
    _deliver_drawings(hall, case_id)
    assert hall.open(case_id) == ["deliver_report"]  # the join waits for the other commitment
    _deliver_report(hall, case_id)
    assert hall.open(case_id) == ["inspect"]
    hall.do(case_id, "inspect", {"inspection_result": "compliant",
                                 "inspection_findings": "图纸、报告与承诺一致，现场相符。"})
    _permits_acceptance_delivery(hall, case_id)

    view = hall.case(case_id)
    assert view.data["rating"] == "very_satisfied" and view.data["delivery_result"] == "delivered"
    assert "revoked_at" not in view.data and "credit_violation_reason" not in view.data
    assert _status_codes(hall, case_id) == [1, 3, 8, 11]
    assert _documents(hall, case_id) == ["commitment_acceptance", "construction_notice", "construction_permit"]
    documents = cases.case_documents(hall.ctx, case_id)
    assert FILING["project_code"] in documents[1].html and FILING["enterprise_name"] in documents[1].html
    permit_facts = ("江苏某建设集团有限公司", "南京某工程监理有限公司", "42000", "8600.5", FILING["project_name"])
    assert all(text in documents[2].html for text in permit_facts)
    completed = _completed(hall, case_id)
    assert {"order_rectification", "revoke", "drawings_overdue", "report_overdue", "supervise_notice"}.isdisjoint(
        completed)


@pytest.mark.parametrize(("filing", "track", "reason_part"), [
    ({"project_type": "residential"}, "commitment", "适用清单"),
    ({"project_type": "hazardous"}, "commitment", "适用清单"),
    ({"regional_assessment_no": ""}, "commitment", "区域评估"),
    ({}, "normal", "一般程序"),
], ids=["residential", "hazardous", "no_regional_assessment", "enterprise_chose_normal"])
def test_ineligible_project_goes_to_the_normal_procedure(hall: Hall, filing: dict[str, Any], track: str,
                                                          reason_part: str) -> None:
    hall.deploy(MATTER)
    case_id = _to_eligibility(hall, filing, track)
    assert hall.open(case_id) == ["notify_ineligible"]
    data = hall.case(case_id).data
    assert data["eligible"] is False and reason_part in data["ineligible_reason"]
    view = hall.do(case_id, "notify_ineligible", {"normal_track_guidance": "请通过一般程序申报规划许可和施工许可。",
                                                  "enterprise_informed": True}, user=AGENT)
    assert view.status == "completed" and view.blzt == 13
    assert "sign_commitment" not in _completed(hall, case_id)
    assert _documents(hall, case_id) == []


def test_ineligible_because_of_an_unrepaired_credit_record(hall: Hall) -> None:
    hall.deploy(MATTER)
    with hall.ctx.uow() as uow:
        department_data.record_credit_violation(uow, BLACKLISTED_CODE, "11320100MB039462143000167009000202401010001",
                                                "虚假承诺", hall.clock.now())
        uow.commit()
    case_id = _to_eligibility(hall, {"credit_code": BLACKLISTED_CODE})
    data = hall.case(case_id).data
    assert data["credit_check"] == {"clean": False, "violations": 1}
    assert data["eligible"] is False and "失信" in data["ineligible_reason"]
    assert hall.open(case_id) == ["notify_ineligible"]
    view = hall.do(case_id, "notify_ineligible", {"normal_track_guidance": "信用修复后可再申请告知承诺。",
                                                  "enterprise_informed": True}, user=AGENT)
    assert view.status == "completed" and view.blzt == 13


def test_other_enterprises_are_not_affected_by_a_credit_record(hall: Hall) -> None:
    hall.deploy(MATTER)
    with hall.ctx.uow() as uow:
        department_data.record_credit_violation(uow, BLACKLISTED_CODE, "X", "虚假承诺", hall.clock.now())
        uow.commit()
    case_id = _to_eligibility(hall)
    assert hall.open(case_id) == ["sign_commitment"]


def test_joint_review_disagreement_ends_without_a_construction_notice(hall: Hall) -> None:
    hall.deploy(MATTER)
    case_id = _to_eligibility(hall)
    hall.do(case_id, "sign_commitment", COMMITMENT)
    hall.do(case_id, "fg_review", {"fg_opinion": AGREE})
    hall.do(case_id, "zrgh_review", {"zrgh_opinion": AGREE})
    view = hall.do(case_id, "zj_review", {"zj_opinion": "disagree", "zj_comment": "厂房跨度超限，需专项论证"})
    assert hall.open(case_id) == ["notify_joint_rejection"]
    view = hall.do(case_id, "notify_joint_rejection", {"joint_rejection_reason": "住建：厂房跨度超限，需专项论证。",
                                                       "joint_rejection_informed": True})
    assert view.status == "completed" and view.blzt == 13
    assert _documents(hall, case_id) == ["commitment_acceptance"]
    assert "issue_notice" not in _completed(hall, case_id)


def test_construction_notice_warning_fires_after_one_working_day_and_keeps_the_task(hall: Hall) -> None:
    hall.deploy(MATTER)
    case_id = _to_eligibility(hall)
    hall.do(case_id, "sign_commitment", COMMITMENT)
    for dept in ("fg", "zrgh", "zj"):
        hall.do(case_id, f"{dept}_review", {f"{dept}_opinion": AGREE})
    assert hall.open(case_id) == ["issue_notice"]
    # Due at the end of the next working day: Sunday 2025-09-28 (调休) 23:59:59.
    assert hall.case(case_id).next_timer_due.isoformat() == "2025-09-28T15:59:59+00:00"
    assert hall.advance(days=2, hours=13) == 0  # Sunday 23:00: not yet
    assert hall.open(case_id) == ["issue_notice"]
    assert hall.advance(hours=1) == 1
    assert _open(hall, case_id) == {"issue_notice", "supervise_notice"}
    history = hall.history(case_id)
    assert ("notice_overdue", "COMPLETED") in {(h.element_id, h.to_state) for h in history}
    assert ("issue_notice", "CANCELLED") not in {(h.element_id, h.to_state) for h in history}
    hall.do(case_id, "supervise_notice", {"supervise_note": "已电话督促窗口当日出具。"})
    hall.do(case_id, "issue_notice", NOTICE)
    assert _open(hall, case_id) == {"deliver_drawings", "deliver_report"}
    assert _documents(hall, case_id) == ["commitment_acceptance", "construction_notice"]


def test_notice_issued_in_time_never_warns(hall: Hall) -> None:
    hall.deploy(MATTER)
    case_id = _to_construction(hall)
    hall.advance(days=5)
    assert "supervise_notice" not in _open(hall, case_id)


def _missed_drawings_deadline(hall: Hall) -> int:
    """Drawings promised by 2025-10-10 never arrive; the report arrives in time."""
    case_id = _to_construction(hall, {"drawings_by": "2025-10-10"})
    _deliver_report(hall, case_id)
    assert hall.open(case_id) == ["deliver_drawings"]
    assert hall.advance(days=14, hours=13) == 0  # Friday 2025-10-10 23:00: still in time
    assert hall.advance(hours=1) == 1
    assert hall.open(case_id) == ["inspect"]
    data = hall.case(case_id).data
    assert data["drawings_delivered"] is False and data["report_delivered"] is True
    history = hall.history(case_id)
    assert ("deliver_drawings", "CANCELLED") in {(h.element_id, h.to_state) for h in history}
    # Even a clean site check cannot make up for a commitment not kept.
    hall.do(case_id, "inspect", {"inspection_result": "compliant", "inspection_findings": "现场与承诺相符，图纸未交。"})
    assert hall.open(case_id) == ["rectify"]
    data = hall.case(case_id).data
    assert "逾期未提交施工图设计文件（承诺期限 2025-10-10）" in data["rectification_reason"]
    assert data["rectification_due"] == "2025-10-24"  # 10 working days counted from Sat 2025-10-11 (调休)
    assert _documents(hall, case_id)[-1] == "rectification_order"
    assert "2025-10-24" in cases.case_documents(hall.ctx, case_id)[-1].html
    return case_id


def _assert_raised_to_the_head(hall: Hall, case_id: int, grounds: str) -> None:
    """Nothing is revoked yet: the matter waits for the organ's 负责人; no decision, no credit record."""
    view = hall.case(case_id)
    assert view.status == "running" and hall.open(case_id) == ["propose_revocation"]
    assert grounds in view.data["revocation_grounds"]
    assert 15 not in _status_codes(hall, case_id) and "revoke" not in _completed(hall, case_id)
    assert _documents(hall, case_id)[-1] == "rectification_order"
    assert [h for h in hall.history(case_id) if h.event_type == "credit_recorded"] == []
    assert hall.ctx.services["credit_status"]({"credit_code": CLEAN_CODE}) == {"clean": True, "violations": 0}


def test_missed_commitment_then_still_non_compliant_goes_to_the_head(hall: Hall) -> None:
    hall.deploy(MATTER)
    case_id = _missed_drawings_deadline(hall)
    hall.do(case_id, "rectify", {"rectification_report": "已委托设计院出图。", "rectification_done": True})
    assert hall.open(case_id) == ["recheck"]
    hall.do(case_id, "recheck", {"recheck_result": "non_compliant", "recheck_findings": "施工图仍未通过审查。"})
    _assert_raised_to_the_head(hall, case_id, "施工图仍未通过审查")


def test_the_rectification_deadline_passing_only_raises_the_matter(hall: Hall) -> None:
    hall.deploy(MATTER)
    case_id = _missed_drawings_deadline(hall)
    assert hall.advance(days=15) == 1  # past 2025-10-24 23:59:59 without any rectification
    _assert_raised_to_the_head(hall, case_id, "逾期未完成整改（整改期限 2025-10-24）")


def test_rectified_in_time_continues_to_permits(hall: Hall) -> None:
    hall.deploy(MATTER)
    case_id = _to_construction(hall)
    _deliver_drawings(hall, case_id)
    _deliver_report(hall, case_id)
    hall.do(case_id, "inspect", {"inspection_result": "non_compliant",
                                 "inspection_findings": "消防通道宽度与图纸不符。"})
    assert hall.open(case_id) == ["rectify"]
    assert hall.case(case_id).data["rectification_reason"] == "核查不符合承诺：消防通道宽度与图纸不符。"
    hall.advance(days=5)
    hall.do(case_id, "rectify", {"rectification_report": "消防通道已按图拓宽至 4 米。", "rectification_done": True})
    hall.do(case_id, "recheck", {"recheck_result": "compliant", "recheck_findings": "整改到位。"})
    assert hall.case(case_id).next_timer_due is None  # the rectification timer went with the task
    _permits_acceptance_delivery(hall, case_id)
    assert _documents(hall, case_id) == ["commitment_acceptance", "construction_notice", "rectification_order",
                                         "construction_permit"]
    assert "revoke" not in _completed(hall, case_id)
