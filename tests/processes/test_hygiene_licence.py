"""公共场所卫生许可（理发店）: every path of processes/hygiene_licence walked with the hall driver.

Normal procedure: 书面审查 → two inspectors on site (行政许可法 art. 34) → 审核结论 → 科长 decides.
告知承诺: certificate on the spot after the signed commitment, verification within two months,
限期整改 and 撤销 with a credit record when the premises do not match the commitment.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.documents import chinese_date
from engine.services import cases
from tests.processes.conftest import Hall
from tests.processes.conftest import first_provision
from tests.processes.conftest import refusal_at_reception

MATTER = "hygiene_licence"
CREDIT_CODE = "92320102MA1XK7Q5L4"

APPLICATION: dict[str, Any] = {
    "unit_name": "青禾理发店",
    "uscc": CREDIT_CODE,
    "responsible_person": "陈立",
    "business_address": "南京市玄武区中山路18号",
    "business_area_m2": 45,
    "venue_category": ["美发"],
    "staff_count": 4,
    "certified_staff_count": 4,
    "disinfection_facilities": ["uv_lamp", "disinfection_cabinet"],
    "central_ac": "no",
    "contact_name": "陈立",
    "contact_mobile": "13912345678",
    "delivery_method": "window",
    "mailing_address": "",
    "choose_commitment": "no",
}


def inspection(n: int, result: str = "comply") -> dict[str, Any]:
    return {f"inspector{n}_name": f"监督员{n}", f"inspector{n}_badge_no": f"WS-2025-00{n}",
            f"inspector{n}_result": result, f"inspector{n}_note": "消毒设施齐全，布局合理"}


@pytest.fixture
def hall_hygiene(hall: Hall) -> Hall:
    hall.deploy(MATTER)
    return hall


def apply_and_accept(hall: Hall, **changes: Any) -> int:
    case = hall.start(MATTER)
    assert hall.open(case.id) == ["apply"]
    view = hall.do(case.id, "apply", {**APPLICATION, **changes})
    assert view.blzt == 1  # 收件 in the reception sub-process
    assert hall.open(case.id) == ["rc_check"]
    view = hall.do(case.id, "rc_check", {"reception_decision": "accept"})
    assert view.blzt == 3
    assert hall.case(case.id).data["reception_result"] == "accepted"
    return case.id


def through_review(hall: Hall, case_id: int, outcome: str = "comply") -> None:
    """书面审查 → both inspections → 审核结论 ``outcome``."""
    view = hall.do(case_id, "written_review", {"written_review_note": "材料齐全，符合法定形式"})
    assert view.blzt == 8
    assert sorted(hall.open(case_id)) == ["inspect_1", "inspect_2"]
    hall.do(case_id, "inspect_1", inspection(1), user="inspector_a")
    hall.do(case_id, "inspect_2", inspection(2), user="inspector_b")
    assert hall.open(case_id) == ["conclude"]
    values = {"review_outcome": outcome, "review_conclusion_note": "两名监督员现场审核意见一致"}
    if outcome == "supplement":
        values["missing_items"] = "从业人员健康合格证明（2人）\n卫生设施平面布局图"
    hall.do(case_id, "conclude", values)


def deliver_at_window(hall: Hall, case_id: int) -> None:
    assert hall.open(case_id) == ["dl_pickup"]
    hall.do(case_id, "dl_pickup", {"picked_up_by": "陈立", "pickup_id_number": "320102198001011238"})
    assert hall.open(case_id) == ["dl_rating"]
    hall.do(case_id, "dl_rating", {"rating": "very_satisfied"})


def doc_keys(hall: Hall, case_id: int) -> list[str]:
    return [d.doc_key for d in cases.case_documents(hall.ctx, case_id)]


def status_codes(hall: Hall, case_id: int) -> list[int]:
    return [int(h.to_state) for h in hall.history(case_id) if h.event_type == "status_changed"]


def test_normal_procedure_approved_and_delivered(hall_hygiene: Hall) -> None:
    hall = hall_hygiene
    case_id = apply_and_accept(hall)
    assert hall.open(case_id) == ["written_review"]  # choose_commitment == 'no': 一般程序
    # Accepted Fri 2025-09-26: promised 5 and statutory 20 working days (National Day week is off).
    assert hall.due_dates(case_id) == ("2025-10-10", "2025-10-30")
    through_review(hall, case_id)
    assert hall.open(case_id) == ["approve"]
    view = hall.do(case_id, "approve", {"chief_decision": "grant", "chief_opinion": "同意发证"})
    assert view.blzt == 11 and view.status == "running"
    deliver_at_window(hall, case_id)

    view = hall.case(case_id)
    assert (view.status, view.blzt, view.open_tasks) == ("completed", 11, ())
    assert view.data["procedure"] == "normal" and view.data["permit_status"] == "valid"
    assert view.data["permit_valid_until"] == "2029-09-26"  # four years
    assert view.data["delivery_result"] == "delivered" and view.data["rating"] == "very_satisfied"
    assert doc_keys(hall, case_id) == ["receipt", "acceptance_notice", "hygiene_permit"]
    permit = cases.case_documents(hall.ctx, case_id)[-1]
    assert "青禾理发店" in permit.html and CREDIT_CODE in permit.html and "美发" in permit.html
    assert status_codes(hall, case_id) == [1, 3, 8, 11]


def test_both_inspectors_are_required_before_the_conclusion(hall_hygiene: Hall) -> None:
    hall = hall_hygiene
    case_id = apply_and_accept(hall)
    hall.do(case_id, "written_review", {"written_review_note": "材料齐全"})
    assert sorted(hall.open(case_id)) == ["inspect_1", "inspect_2"]
    hall.do(case_id, "inspect_2", inspection(2, "not_comply"), user="inspector_b")
    assert hall.open(case_id) == ["inspect_1"]  # one record is not enough (art. 34)
    hall.do(case_id, "inspect_1", inspection(1), user="inspector_a")
    assert hall.open(case_id) == ["conclude"]
    data = hall.case(case_id).data
    assert (data["inspector1_result"], data["inspector2_result"]) == ("comply", "not_comply")
    assert (data["inspector1_name"], data["inspector2_name"]) == ("监督员1", "监督员2")
    hall.do(case_id, "conclude", {"review_outcome": "comply", "review_conclusion_note": "复核后符合"})
    assert hall.open(case_id) == ["approve"]


def test_supplement_during_review_pauses_then_approved(hall_hygiene: Hall) -> None:
    hall = hall_hygiene
    case_id = apply_and_accept(hall)
    through_review(hall, case_id, outcome="supplement")
    view = hall.case(case_id)
    assert view.blzt == 6 and hall.open(case_id) == ["supplement"]
    notice = cases.case_documents(hall.ctx, case_id)[-1]
    assert notice.doc_key == "supplement_notice"
    assert "<li>从业人员健康合格证明（2人）</li><li>卫生设施平面布局图</li>" in notice.html

    hall.do(case_id, "supplement", {"supplement_description": "已补交健康证明和布局图"})
    assert hall.open(case_id) == ["receive_supplement"]
    view = hall.do(case_id, "receive_supplement", {"supplement_received": True})
    # 补正（结束） recorded; the case shows 部门开始办理 again and is back at 书面审查.
    assert view.blzt == 8 and status_codes(hall, case_id)[-1] == 7 and hall.open(case_id) == ["written_review"]

    through_review(hall, case_id)
    hall.do(case_id, "approve", {"chief_decision": "grant", "chief_opinion": "同意"})
    deliver_at_window(hall, case_id)
    view = hall.case(case_id)
    assert (view.status, view.blzt) == ("completed", 11)
    assert status_codes(hall, case_id) == [1, 3, 8, 6, 7, 8, 11]


def test_denied_with_reasons(hall_hygiene: Hall) -> None:
    hall = hall_hygiene
    case_id = apply_and_accept(hall)
    through_review(hall, case_id, outcome="not_comply")
    assert hall.open(case_id) == ["approve"]
    view = hall.do(case_id, "approve", {"chief_decision": "deny", "chief_opinion": "经营场所无消毒间，不符合卫生要求",
                                        "chief_provision": first_provision(hall, MATTER)})
    assert (view.status, view.blzt, view.open_tasks) == ("completed", 13, ())
    assert hall.case(case_id).data["permit_status"] == "denied"
    denial = cases.case_documents(hall.ctx, case_id)[-1]
    assert denial.doc_key == "denial_decision"
    assert "经营场所无消毒间" in denial.html and "行政复议" in denial.html
    assert "hygiene_permit" not in doc_keys(hall, case_id)


def test_commitment_certificate_on_the_spot_then_verified(hall_hygiene: Hall) -> None:
    hall = hall_hygiene
    case_id = apply_and_accept(hall, choose_commitment="yes")
    assert hall.open(case_id) == ["sign_commitment"]
    view = hall.do(case_id, "sign_commitment", {"commitment_agreed": True, "commitment_signer": "陈立"})
    # Issued on the spot; the case waits for the verification within two months.
    assert (view.status, view.blzt, view.open_tasks) == ("running", 11, ())
    assert doc_keys(hall, case_id)[-1] == "hygiene_permit"
    data = hall.case(case_id).data
    assert data["procedure"] == "commitment" and data["credit_check"] == {"clean": True, "violations": 0}

    hall.advance(days=45)
    assert hall.open(case_id) == []
    hall.advance(days=17)  # past 2025-11-26
    assert hall.open(case_id) == ["verify"]
    view = hall.do(case_id, "verify", {"verification_inspectors": "监督员1、监督员2",
                                       "verification_result": "compliant", "verification_note": "与承诺一致"})
    assert (view.status, view.blzt, view.open_tasks) == ("completed", 11, ())
    assert hall.case(case_id).data["permit_status"] == "valid"


def test_commitment_not_kept_rectification_then_revoked(hall_hygiene: Hall) -> None:
    hall = hall_hygiene
    case_id = apply_and_accept(hall, choose_commitment="yes")
    hall.do(case_id, "sign_commitment", {"commitment_agreed": True, "commitment_signer": "陈立"})
    hall.advance(days=62)
    view = hall.do(case_id, "verify", {"verification_inspectors": "监督员1、监督员2",
                                       "verification_result": "noncompliant", "verification_note": "无消毒柜"})
    assert view.open_tasks == () and view.status == "running"  # 限期整改 runs on a timer
    order = cases.case_documents(hall.ctx, case_id)[-1]
    assert order.doc_key == "rectification_order"
    assert hall.case(case_id).data["rectification_due"] in order.html

    hall.advance(days=10)
    assert hall.open(case_id) == []  # 15 working days not yet over
    hall.advance(days=20)
    assert hall.open(case_id) == ["recheck"]
    hall.do(case_id, "recheck", {"recheck_result": "noncompliant", "recheck_note": "仍未配备消毒设施"})
    # The failed recheck only raises the case to the 卫健委负责人; revoking takes a notice with a
    # 陈述申辩 period and a reasoned decision that says whether a credit record is written.
    assert hall.open(case_id) == ["revoke_decision"]
    assert hall.case(case_id).open_tasks[0].candidate_groups == ("ws_fzr",)
    hall.do(case_id, "revoke_decision", {"proposal": "start",
                                         "proposal_reasons": "限期整改期满复查，仍未配备消毒设施，承诺不实。"})
    assert hall.open(case_id) == ["rv_statement"] and 15 not in status_codes(hall, case_id)
    notice = cases.case_documents(hall.ctx, case_id)[-1]
    assert notice.doc_key == "revocation_notice" and "仍未配备消毒设施" in notice.html
    stored = hall.deadlines(case_id)  # a 告知承诺 case too keeps the 陈述申辩 period on its record
    assert stored is not None and [p.kind for p in stored.periods] == ["statement"]
    assert f"请于 {chinese_date(stored.periods[0].due)} 前提出" in notice.html
    hall.do(case_id, "rv_statement", {"statement_text": "消毒柜已订购，尚未到货。"})
    reasons = "陈述理由不能成立：未配备消毒设施，不符合公共场所卫生许可条件。"
    view = hall.do(case_id, "rv_decide", {"revocation_decision": "revoke", "record_credit": "yes",
                                          "decision_reasons": reasons})
    assert (view.status, view.blzt, view.open_tasks) == ("completed", 15, ())
    assert hall.case(case_id).data["permit_status"] == "revoked"
    revocation = cases.case_documents(hall.ctx, case_id)[-1]
    assert revocation.doc_key == "revocation_decision" and "未配备消毒设施" in revocation.html
    assert "提出了陈述、申辩意见" in revocation.html
    assert status_codes(hall, case_id) == [1, 3, 11, 15]

    # The credit record bars the commitment track for this shop's next application.
    assert hall.ctx.services["credit_status"]({"credit_code": CREDIT_CODE}) == {"clean": False, "violations": 1}
    again = apply_and_accept(hall, choose_commitment="yes")
    assert hall.open(again) == ["written_review"]


def test_compliant_after_rectification_keeps_the_permit(hall_hygiene: Hall) -> None:
    hall = hall_hygiene
    case_id = apply_and_accept(hall, choose_commitment="yes")
    hall.do(case_id, "sign_commitment", {"commitment_agreed": True, "commitment_signer": "陈立"})
    hall.advance(days=62)
    hall.do(case_id, "verify", {"verification_inspectors": "监督员1、监督员2",
                                "verification_result": "noncompliant", "verification_note": "健康证过期"})
    hall.advance(days=30)
    view = hall.do(case_id, "recheck", {"recheck_result": "compliant", "recheck_note": "已换发健康证"})
    assert (view.status, view.blzt) == ("completed", 11)
    assert hall.case(case_id).data["permit_status"] == "valid"


def test_refused_at_reception_ends_without_review(hall_hygiene: Hall) -> None:
    hall = hall_hygiene
    case = hall.start(MATTER)
    hall.do(case.id, "apply", APPLICATION)
    refusal = refusal_at_reception("餐饮店应申请食品经营许可，不属于公共场所卫生许可", "not_competent",
                                   "临江县市场监督管理局")
    view = hall.do(case.id, "rc_check", refusal)
    assert (view.status, view.blzt, view.open_tasks) == ("completed", 5, ())
