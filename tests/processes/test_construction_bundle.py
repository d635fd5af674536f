"""两证打包审: 施工许可 + 建筑垃圾处置核准 (+ 人防), walked through the hall with an injected clock.

One combined form and one reception; then the 住建 and 城管 branches review in parallel, each
deciding its own permit (a refusal of one never blocks the other), while 人防 records its branch.
The clock starts on Friday 2025-09-26 10:00 China time, just before the National Day holiday.
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

import pytest

from engine.persistence.records import CaseRecord
from engine.runtime.case import CaseRuntime
from engine.services import cases
from engine.services.cases import definition_for_case
from engine.services.deadlines import case_deadlines
from engine.services.department_data import upsert_department_record
from tests.processes.conftest import Hall
from tests.processes.conftest import first_provision
from tests.processes.conftest import refusal_at_reception

MATTER = "construction_bundle"
PROJECT_CODE = "2025-320102-47-01-000123"
FILE = [{"id": "att-1", "name": "材料.pdf", "sha256": "ab" * 32}]
REQUIRED_FILES = ("file_application_form", "file_land_use", "file_planning_permit", "file_contracts",
                  "file_drawing_review", "file_funding_commitment", "file_quality_safety", "file_waste_plan",
                  "file_transport_contract", "file_disposal_acceptance")
APPLICATION: dict[str, Any] = {
    "project_code": PROJECT_CODE,
    "project_name": "滨江花园二期",
    "construction_address": "南京市玄武区滨江路88号",
    "construction_unit": "南京滨江置业有限公司",
    "credit_code": "91320102MA1XK2B3QK",
    "legal_representative": "王建国",
    "project_leader": "李明",
    "project_leader_mobile": "13912345678",
    "contract_price_wan": "8600.50",
    "building_area_m2": "45200",
    "floors_above": 18,
    "floors_below": 2,
    "structure_type": "frame_shear_wall",
    "planned_start_date": "2025-10-15",
    "planned_completion_date": "2027-06-30",
    "contractor": "江苏建工集团有限公司",
    "supervisor_unit": "南京工程监理有限公司",
    "planning_permit_no": "建字第320102202500123号",
    "drawing_review_cert_no": "SCS-2025-0456",
    "civil_defense": "not_required",
    "waste_types": ["工程渣土", "工程垃圾"],
    "waste_volume_m3": "32000",
    "transport_company": "南京绿源运输有限公司",
    "vehicle_plates": "苏A12345\n苏A23456",
    "transport_hours": "22:00 至次日 5:00",
    "transport_route": "滨江路—龙蟠路—绕城公路",
    "disposal_site": "江宁区建筑垃圾消纳场",
    "disposal_start_date": "2025-10-15",
    "disposal_end_date": "2026-03-31",
    "delivery_method": "window",
    **{key: FILE for key in REQUIRED_FILES},
}
REVIEW_STEPS = ("chengban", "shenhe", "pizhun")


@pytest.fixture
def bundle(hall: Hall) -> Hall:
    hall.deploy(MATTER)
    return hall


def submit_and_accept(hall: Hall, **overrides: Any) -> int:
    """Fill the one combined form and have the window accept it; return the case id."""
    case = hall.start(MATTER)
    assert hall.open(case.id) == ["apply"]
    hall.do(case.id, "apply", {**APPLICATION, **overrides})
    assert hall.open(case.id) == ["rc_check"]
    hall.do(case.id, "rc_check", {"reception_decision": "accept"})
    return case.id


def review(hall: Hall, case_id: int, prefix: str, outcome: str = "pass", opinion: str = "材料齐全，符合法定条件。",
           steps: tuple[str, ...] = REVIEW_STEPS) -> None:
    values = {f"{prefix}_outcome": outcome, f"{prefix}_opinion": opinion}
    if outcome == "fail":  # a refusal cites a provision from the permit's list
        permit = {"zj": "construction", "cg": "waste"}[prefix]
        values[f"{prefix}_provision"] = first_provision(hall, MATTER, f"{permit}_refusal_provisions")
    for step in steps:
        hall.do(case_id, f"{prefix}_{step}", values)


def deliver(hall: Hall, case_id: int) -> None:
    assert hall.open(case_id) == ["dl_pickup"]
    hall.do(case_id, "dl_pickup", {"picked_up_by": "李明", "pickup_id_number": "11010519491231002X"})
    hall.do(case_id, "dl_rating", {"rating": "very_satisfied"})


def open_set(hall: Hall, case_id: int) -> set[str]:
    return set(hall.open(case_id))


def documents(hall: Hall, case_id: int) -> list[tuple[str, str]]:
    return [(d.doc_key, d.permit) for d in cases.case_documents(hall.ctx, case_id)]


def status_codes(hall: Hall, case_id: int) -> list[int]:
    return [int(h.to_state) for h in hall.history(case_id) if h.event_type == "status_changed"]


def ready_task_data(hall: Hall, case_id: int, element_id: str) -> dict[str, Any]:
    """The data a READY user task shows its worker (branches hold their own copies until the join)."""
    with hall.ctx.uow() as uow:
        case = uow.session.get(CaseRecord, case_id)
        assert case is not None
        runtime = CaseRuntime.restore(definition_for_case(hall.ctx, uow, case), case.state, hall.ctx.script_engine)
    task = next(t for t in runtime.ready_human_tasks() if t.task_spec.bpmn_id == element_id)
    return dict(task.data)


def test_both_permits_granted(bundle: Hall) -> None:
    case_id = submit_and_accept(bundle)
    assert open_set(bundle, case_id) == {"zj_chengban", "cg_chengban"}  # 不属于应建范围: no 人防 task
    review(bundle, case_id, "zj")
    assert open_set(bundle, case_id) == {"cg_chengban"}  # 住建 waits at the join
    review(bundle, case_id, "cg")
    deliver(bundle, case_id)

    view = bundle.case(case_id)
    assert (view.status, view.blzt) == ("completed", 11)
    assert view.data["construction_result"] == "granted" and view.data["waste_result"] == "granted"
    assert view.data["overall_result"] == "granted"
    assert view.data["permits"] == {"construction": "granted", "waste": "granted", "civil_defense": "not_required"}
    assert view.data["delivery_result"] == "delivered"
    docs = documents(bundle, case_id)
    assert docs[:2] == [("receipt", ""), ("acceptance_notice", "")]
    assert sorted(docs[2:]) == [("construction_permit", "construction"), ("waste_disposal_permit", "waste")]
    permit_html = next(d.html for d in cases.case_documents(bundle.ctx, case_id) if d.doc_key == "construction_permit")
    assert "滨江花园二期" in permit_html and "江苏建工集团有限公司" in permit_html
    codes = status_codes(bundle, case_id)
    assert codes[:2] == [1, 3] and sorted(codes[2:4]) == [8, 8] and codes[-1] == 11


def test_waste_supplement_while_construction_proceeds(bundle: Hall) -> None:
    case_id = submit_and_accept(bundle)
    bundle.do(case_id, "cg_chengban", {"cg_outcome": "supplement", "cg_opinion": "消纳场受纳证明为复印件",
                                       "cg_supplement_items": "消纳场受纳证明（原件）\n车辆冲洗设施照片"})
    assert open_set(bundle, case_id) == {"zj_chengban", "cg_supplement"}
    assert bundle.case(case_id).blzt == 6
    notice = cases.case_documents(bundle.ctx, case_id)[-1]
    assert (notice.doc_key, notice.permit) == ("supplement_notice", "waste")
    assert "<li>消纳场受纳证明（原件）</li><li>车辆冲洗设施照片</li>" in notice.html

    # 住建 is not held up while 城管 waits for the applicant.
    bundle.do(case_id, "zj_chengban", {"zj_outcome": "pass", "zj_opinion": "符合"})
    assert open_set(bundle, case_id) == {"zj_shenhe", "cg_supplement"}
    bundle.do(case_id, "zj_shenhe", {"zj_outcome": "pass", "zj_opinion": "符合"})
    assert open_set(bundle, case_id) == {"zj_pizhun", "cg_supplement"}

    bundle.advance(days=5)  # the applicant supplements on Wed 10-01, a holiday
    bundle.do(case_id, "cg_supplement", {"cg_supplement_files": FILE, "cg_supplement_note": "已补原件和照片"})
    view = bundle.case(case_id)
    assert view.blzt == 8  # 补正（结束） recorded, and the case is back to 部门开始办理
    assert status_codes(bundle, case_id)[-1] == 7
    assert open_set(bundle, case_id) == {"zj_pizhun", "cg_chengban"}  # back to 承办
    # Each permit keeps its own clock, and only a named legal basis stops one: 处置核准 has none for
    # a 补正 during review, so its 20 working days kept running (施工许可's 7 were never touched).
    deadlines = case_deadlines(bundle.ctx, case_id)
    by_permit = {p.key: p for p in deadlines.permits}
    assert by_permit["construction"].paused == () and by_permit["waste"].paused == ()
    assert by_permit["construction"].statutory_due == date(2025, 10, 13)  # 7 WD after Fri 09-26
    assert by_permit["waste"].statutory_due == date(2025, 10, 30)  # 20 WD, nothing paused
    # The warning counts again from the supplement. Received on a holiday, it counts from Thu 10-09
    # (the next working day); the 2nd working day after that is Sat 10-11, a make-up working day.
    assert view.next_timer_due is not None
    assert view.next_timer_due.replace(tzinfo=UTC) == datetime(2025, 10, 11, 15, 59, 59, tzinfo=UTC)
    bundle.do(case_id, "zj_pizhun", {"zj_outcome": "pass", "zj_opinion": "准予"})
    review(bundle, case_id, "cg")
    deliver(bundle, case_id)

    view = bundle.case(case_id)
    assert (view.status, view.blzt) == ("completed", 11)
    assert (view.data["construction_result"], view.data["waste_result"]) == ("granted", "granted")
    assert view.data["cg_supplement_files"] == FILE
    codes = status_codes(bundle, case_id)
    assert codes.index(6) < codes.index(7) and codes[-1] == 11


def test_construction_refused_while_waste_granted(bundle: Hall) -> None:
    case_id = submit_and_accept(bundle)
    reason = "施工图审查合格书所载建筑面积与建设工程规划许可证不一致。"
    review(bundle, case_id, "zj", outcome="fail", opinion=reason)
    assert open_set(bundle, case_id) == {"cg_chengban"}  # the refusal does not touch 城管
    review(bundle, case_id, "cg")
    deliver(bundle, case_id)  # the waste permit is still issued and delivered

    view = bundle.case(case_id)
    assert (view.status, view.blzt) == ("completed", 11)
    assert view.data["construction_result"] == "refused" and view.data["waste_result"] == "granted"
    assert view.data["overall_result"] == "partly_granted"
    assert view.data["construction_reason"] == reason
    assert view.data["permits"]["construction"] == "refused" and view.data["permits"]["waste"] == "granted"
    docs = documents(bundle, case_id)
    assert ("waste_disposal_permit", "waste") in docs and ("denial_decision", "construction") in docs
    assert ("construction_permit", "construction") not in docs
    denial = next(d for d in cases.case_documents(bundle.ctx, case_id) if d.doc_key == "denial_decision")
    assert reason in denial.html and "建筑工程施工许可证核发" in denial.html and "行政复议" in denial.html


def test_both_refused_ends_without_delivery(bundle: Hall) -> None:
    case_id = submit_and_accept(bundle)
    review(bundle, case_id, "cg", outcome="fail", opinion="未与取得核准的运输单位签订运输合同。")
    review(bundle, case_id, "zj", outcome="fail", opinion="未确定建筑施工企业，施工合同尚未签订。")

    view = bundle.case(case_id)
    assert (view.status, view.blzt, view.open_tasks) == ("completed", 13, ())
    assert view.data["overall_result"] == "refused"
    assert (view.data["construction_result"], view.data["waste_result"]) == ("refused", "refused")
    assert "delivery_result" not in view.data
    assert sorted(documents(bundle, case_id)[2:]) == [("denial_decision", "construction"),
                                                       ("denial_decision", "waste")]
    assert status_codes(bundle, case_id)[-1] == 13


def test_civil_defense_relocation_fee(bundle: Hall) -> None:
    case_id = submit_and_accept(bundle, civil_defense="relocation_fee")
    assert open_set(bundle, case_id) == {"zj_chengban", "cg_chengban", "rf_fee_confirm"}
    review(bundle, case_id, "zj")
    review(bundle, case_id, "cg")
    assert bundle.open(case_id) == ["rf_fee_confirm"]  # the join waits for 人防
    bundle.do(case_id, "rf_fee_confirm", {"rf_fee_amount": 1280000, "rf_fee_receipt_no": "FS2025-000321",
                                          "rf_outcome": "pass"})
    deliver(bundle, case_id)

    view = bundle.case(case_id)
    assert view.status == "completed"
    assert view.data["civil_defense_result"] == "fee_paid"
    assert view.data["permits"] == {"construction": "granted", "waste": "granted", "civil_defense": "fee_paid"}
    assert (view.data["rf_fee_amount"], view.data["rf_fee_receipt_no"]) == (1280000, "FS2025-000321")


@pytest.mark.parametrize(("choice", "task", "values", "result"), [
    ("build", "rf_build_review", {"rf_outcome": "pass", "rf_opinion": "防空地下室设计符合要求"}, "approved"),
    ("exempt", "rf_exemption_review", {"rf_outcome": "pass", "rf_opinion": "符合减免条件"}, "exempted"),
])
def test_civil_defense_other_branches(bundle: Hall, choice: str, task: str, values: dict[str, Any],
                                      result: str) -> None:
    case_id = submit_and_accept(bundle, civil_defense=choice)
    assert open_set(bundle, case_id) == {"zj_chengban", "cg_chengban", task}
    bundle.do(case_id, task, values)
    review(bundle, case_id, "zj")
    review(bundle, case_id, "cg")
    deliver(bundle, case_id)
    assert bundle.case(case_id).data["civil_defense_result"] == result


def test_foundation_pit_status_is_looked_up_internally(bundle: Hall) -> None:
    with bundle.ctx.uow() as uow:
        upsert_department_record(uow, "住建局", "foundation_pit_review", PROJECT_CODE, "passed",
                                 {"certificate_no": "JK-2025-001"}, bundle.clock.now())
        uow.commit()
    case_id = submit_and_accept(bundle)
    expected = {"status": "passed", "certificate_no": "JK-2025-001"}
    assert ready_task_data(bundle, case_id, "zj_chengban")["pit_review"] == expected
    lookups = [h.data_after for h in bundle.history(case_id)
               if h.element_id == "zj_pit_check" and h.to_state == "COMPLETED"]
    assert lookups == [{"pit_review": expected}]
    assert "zj_pit_attention" not in ready_task_data(bundle, case_id, "zj_chengban")

    # A project 住建 has no record of: the reviewer still gets the task and sees why.
    other = submit_and_accept(bundle, project_code="2025-320102-47-01-000999")
    data = ready_task_data(bundle, other, "zj_chengban")
    assert data["pit_review"] == {"status": "missing", "certificate_no": ""}
    assert "missing" in data["zj_pit_attention"]
    assert open_set(bundle, other) == {"zj_chengban", "cg_chengban"}
    review(bundle, other, "zj")
    review(bundle, other, "cg")
    deliver(bundle, other)
    assert bundle.case(other).data["pit_review"]["status"] == "missing"  # kept after the join


def test_warning_timer_reminds_without_cancelling_the_review(bundle: Hall) -> None:
    case_id = submit_and_accept(bundle)  # accepted Fri 2025-09-26; Sun 2025-09-28 is a working day
    # promised 3 working days -> warning at the end of the 2nd working day after acceptance: Mon 09-29.
    due = datetime(2025, 9, 29, 15, 59, 59, tzinfo=UTC)
    assert bundle.case(case_id).next_timer_due.replace(tzinfo=UTC) == due
    before = {t.element_id: t.task_uuid for t in bundle.case(case_id).open_tasks}

    bundle.advance(days=3, hours=13, minutes=58)  # Mon 09-29 23:58
    assert open_set(bundle, case_id) == {"zj_chengban", "cg_chengban"}
    bundle.advance(minutes=2)  # Tue 09-30 00:00
    assert open_set(bundle, case_id) == {"zj_chengban", "cg_chengban", "zj_reminder", "cg_reminder"}
    after = {t.element_id: t.task_uuid for t in bundle.case(case_id).open_tasks}
    assert after["zj_chengban"] == before["zj_chengban"] and after["cg_chengban"] == before["cg_chengban"]
    assert [t.candidate_groups for t in bundle.case(case_id).open_tasks if t.element_id == "zj_reminder"] == [
        ("supervisor",)]

    bundle.do(case_id, "zj_reminder", {"supervisor_note": "请今日办结", "supervisor_acknowledged": True})
    bundle.do(case_id, "cg_reminder", {"supervisor_acknowledged": True})
    review(bundle, case_id, "zj")
    review(bundle, case_id, "cg")
    deliver(bundle, case_id)
    assert bundle.case(case_id).status == "completed"


def test_not_accepted_ends_at_the_window(bundle: Hall) -> None:
    case = bundle.start(MATTER)
    bundle.do(case.id, "apply", APPLICATION)
    bundle.do(case.id, "rc_check", refusal_at_reception("该项目为市管项目，施工许可由市住房和城乡建设局实施",
                                                      "not_competent", "江州市住房和城乡建设局"))
    view = bundle.case(case.id)
    assert (view.status, view.blzt, view.open_tasks) == ("completed", 5, ())
    assert "construction_result" not in view.data and "waste_result" not in view.data
