"""补正 done by the book: a non-empty list, a notice that says by when, what happens otherwise and how to
reply, signed by the department that asked; a timer on every 补正 wait; the lawful outcome when it lapses;
the clock stopped only where the matter names a basis; and the status back where it was afterwards.

Clock: Friday 2025-09-26 10:00 China time. 30 working days (the matters' 补正 period) from then is
Thursday 2025-11-13 (the National Day holiday 10-01..10-08 is off; 09-28 and 10-11 are working days).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from engine.errors import FormDataInvalid
from engine.services import cases
from engine.settings import HallSettings
from tests.processes import test_construction_bundle as bundle_walk
from tests.processes import test_food_business as food_walk
from tests.processes import test_hygiene_licence as hygiene_walk
from tests.processes import test_realestate_tax as realestate_walk
from tests.processes.conftest import Hall
from tests.processes.test_food_business import at
from tests.processes.test_food_business import move_to

REPLY_BY = "2025年11月13日"
HALL = HallSettings(name="玄武区政务服务中心", address="南京市玄武区北京东路41号")

APPLICATIONS: dict[str, dict[str, Any]] = {
    "food_business": food_walk.APPLICATION, "hygiene_licence": hygiene_walk.APPLICATION,
    "construction_bundle": bundle_walk.APPLICATION, "realestate_tax": realestate_walk.APPLICATION,
}


def _documents(hall: Hall, case_id: int, key: str) -> list[cases.DocumentView]:
    return [d for d in cases.case_documents(hall.ctx, case_id) if d.doc_key == key]


def _statuses(hall: Hall, case_id: int) -> list[int]:
    return [int(h.to_state) for h in hall.history(case_id) if h.event_type == "status_changed"]


@pytest.fixture
def hall_with_address(hall: Hall) -> Hall:
    hall.ctx.settings = dataclasses.replace(hall.ctx.settings, hall=HALL)
    return hall


# -- an empty list is refused on the form ----------------------------------------------------------


@pytest.mark.parametrize("items", ["", "   \n  \n"])
def test_a_supplement_request_without_items_is_refused_and_changes_nothing(hall: Hall, items: str) -> None:
    case_id = food_walk.apply(hall)
    with pytest.raises(FormDataInvalid) as refused:
        hall.do(case_id, "rc_check", {"reception_decision": "supplement", "missing_items": items})
    assert "逐项列明需补正的材料" in refused.value.errors["missing_items"]
    assert hall.open(case_id) == ["rc_check"] and _documents(hall, case_id, "supplement_notice") == []


def test_a_review_supplement_without_items_is_refused_in_each_department(hall: Hall) -> None:
    hall.deploy("construction_bundle")
    case_id = bundle_walk.submit_and_accept(hall)
    for prefix in ("zj", "cg"):
        with pytest.raises(FormDataInvalid) as refused:
            hall.do(case_id, f"{prefix}_chengban", {f"{prefix}_outcome": "supplement", f"{prefix}_opinion": "缺材料"})
        assert f"{prefix}_supplement_items" in refused.value.errors
    assert set(hall.open(case_id)) == {"zj_chengban", "cg_chengban"}


# -- the notice -------------------------------------------------------------------------------------


def test_the_notice_states_deadline_consequence_ways_to_reply_and_no_acceptance_note(hall_with_address: Hall) -> None:
    hall = hall_with_address
    case_id = food_walk.apply(hall)
    hall.do(case_id, "rc_check", {"reception_decision": "supplement", "missing_items": "营业执照复印件\n租赁合同",
                                  "reception_note": "材料齐全，符合法定形式，予以受理"})
    [notice] = _documents(hall, case_id, "supplement_notice")
    html = notice.html
    assert "<li>营业执照复印件</li><li>租赁合同</li>" in html
    assert f"请于 {REPLY_BY} 前补正" in html and "30 个工作日" in html
    assert "视为放弃申请" in html and "不予受理决定" in html  # before acceptance
    assert "网上办事大厅" in html and "玄武区政务服务中心综合受理窗口" in html
    assert html.count("南京市玄武区北京东路41号") == 2  # at the window, and by post
    assert "予以受理" not in html  # the window's note is not the notice's business
    assert "市场监督管理局" in html.split('class="signature"')[1]


def test_the_notice_of_a_department_is_signed_by_that_department_and_names_its_permit(hall: Hall) -> None:
    hall.deploy("construction_bundle")
    case_id = bundle_walk.submit_and_accept(hall)
    hall.do(case_id, "cg_chengban", {"cg_outcome": "supplement", "cg_opinion": "消纳场受纳证明为复印件",
                                     "cg_supplement_items": "消纳场受纳证明（原件）"})
    [notice] = _documents(hall, case_id, "supplement_notice")
    signature = notice.html.split('class="signature"')[1]
    assert "城市管理局渣土管理办公室" in signature and "住房和城乡建设局" not in signature
    assert "“城市建筑垃圾处置核准”申请" in notice.html
    assert f"请于 {REPLY_BY} 前补正" in notice.html and "不予许可决定" in notice.html
    assert "补正期间办理期限照常计算" in notice.html  # 处置核准 names no basis for stopping the clock


# -- every 补正 wait has a timer, and missing it ends the permit lawfully ------------------------------


def _submit(hall: Hall, matter: str) -> int:
    hall.deploy(matter)
    case = hall.start(matter)
    hall.do(case.id, "apply", APPLICATIONS[matter])
    assert hall.open(case.id) == ["rc_check"]
    return case.id


@pytest.mark.parametrize("matter", sorted(APPLICATIONS))
def test_a_lapsed_supplement_before_acceptance_is_refused_with_a_notice(hall: Hall, matter: str) -> None:
    case_id = _submit(hall, matter)
    hall.do(case_id, "rc_check", {"reception_decision": "supplement", "missing_items": "申请表（盖章）"})
    assert hall.case(case_id).next_timer_due == at("2025-11-13", "23:59:59")
    assert move_to(hall, at("2025-11-14")) == 1
    view = hall.case(case_id)
    assert (view.status, view.blzt) == ("completed", 5) and _statuses(hall, case_id)[-1] == 5
    [refusal] = _documents(hall, case_id, "refusal_notice")
    assert "视为放弃申请" in refusal.html and f"补正期限至 {REPLY_BY}" in refusal.html
    assert hall.deadlines(case_id) is None  # never accepted: no clock ever ran


def test_hygiene_review_supplement_lapses_into_a_denial(hall: Hall) -> None:
    hall.deploy("hygiene_licence")
    case_id = hygiene_walk.apply_and_accept(hall)
    hygiene_walk.through_review(hall, case_id, outcome="supplement")
    assert hall.open(case_id) == ["supplement"]
    [notice] = _documents(hall, case_id, "supplement_notice")
    assert f"请于 {REPLY_BY} 前补正" in notice.html and "不予许可决定" in notice.html
    # No legal basis for stopping the clock during a review 补正 here: the due dates stand.
    assert hall.due_dates(case_id) == ("2025-10-10", "2025-10-30")
    assert hall.case(case_id).next_timer_due == at("2025-11-13", "23:59:59")
    assert move_to(hall, at("2025-11-13", "23:59:00")) == 0
    assert move_to(hall, at("2025-11-14")) == 1
    view = hall.case(case_id)
    assert (view.status, view.blzt) == ("completed", 13)
    assert view.data["permit_status"] == "denied"
    [denial] = _documents(hall, case_id, "denial_decision")
    assert "补正期限（2025-11-13）" in denial.html
    record = hall.deadlines(case_id)
    assert record is not None and record.closed_on == date(2025, 11, 14) and record.paused == ()


def test_bundle_permit_supplement_stops_its_own_clock_and_lapses_into_that_permits_denial(hall: Hall) -> None:
    """施工许可's 补正 has a basis (《建筑工程施工许可管理办法》第五条): its clock stops; 处置核准 runs on, granted."""
    hall.deploy("construction_bundle")
    case_id = bundle_walk.submit_and_accept(hall)
    hall.clock.set(at("2025-09-29", "10:00:00"))  # Monday
    hall.do(case_id, "zj_chengban", {"zj_outcome": "supplement", "zj_opinion": "施工合同缺页",
                                     "zj_supplement_items": "施工合同（完整版）"})
    assert set(hall.open(case_id)) == {"zj_supplement", "cg_chengban"}
    record = hall.deadlines(case_id)
    assert record is not None
    construction = {p.key: p for p in record.permits}["construction"]
    assert construction.paused == ((date(2025, 9, 29), None),)
    bundle_walk.review(hall, case_id, "cg")
    assert hall.open(case_id) == ["zj_supplement"]
    # 30 working days from Mon 09-29 (two working days after 09-26: Sun 09-28 is one): Mon 11-17.
    assert hall.case(case_id).next_timer_due == at("2025-11-17", "23:59:59")
    assert move_to(hall, at("2025-11-18")) == 1
    view = hall.case(case_id)
    assert (view.data["construction_result"], view.data["waste_result"]) == ("refused", "granted")
    assert ("denial_decision", "construction") in bundle_walk.documents(hall, case_id)
    assert hall.open(case_id) == ["dl_pickup"]  # the granted 处置核准 is handed over
    record = hall.deadlines(case_id)
    assert record is not None
    construction = {p.key: p for p in record.permits}["construction"]
    # Paused from 09-29 until the lapse on 11-18, when the denial stopped its clock for good.
    assert construction.paused == ((date(2025, 9, 29), date(2025, 11, 18)),)
    assert construction.statutory_state == "done"


def test_status_after_a_supplement_and_both_approvals_is_not_supplement_ended(hall: Hall) -> None:
    hall.deploy("construction_bundle")
    case_id = bundle_walk.submit_and_accept(hall)
    hall.do(case_id, "cg_chengban", {"cg_outcome": "supplement", "cg_opinion": "缺受纳证明",
                                     "cg_supplement_items": "消纳场受纳证明"})
    assert hall.case(case_id).blzt == 6
    hall.do(case_id, "cg_supplement", {"cg_supplement_files": bundle_walk.FILE, "cg_supplement_note": "已补"})
    bundle_walk.review(hall, case_id, "zj")
    bundle_walk.review(hall, case_id, "cg")
    view = hall.case(case_id)
    assert view.blzt == 8 and view.status_name == "部门开始办理"
    assert _statuses(hall, case_id)[-2:] == [6, 7]


def test_while_one_permit_is_still_paused_the_case_shows_supplement_started(hall: Hall) -> None:
    hall.deploy("construction_bundle")
    case_id = bundle_walk.submit_and_accept(hall)
    hall.do(case_id, "zj_chengban", {"zj_outcome": "supplement", "zj_opinion": "缺页", "zj_supplement_items": "合同"})
    hall.do(case_id, "cg_chengban", {"cg_outcome": "supplement", "cg_opinion": "缺件", "cg_supplement_items": "证明"})
    hall.do(case_id, "cg_supplement", {"cg_supplement_files": bundle_walk.FILE, "cg_supplement_note": "已补"})
    assert hall.case(case_id).blzt == 6  # 施工许可 still waits for its 补正
    hall.do(case_id, "zj_supplement", {"zj_supplement_files": bundle_walk.FILE, "zj_supplement_note": "已补"})
    assert hall.case(case_id).blzt == 8


def test_bundle_waste_supplement_lapses_into_its_own_denial_while_construction_is_granted(hall: Hall) -> None:
    hall.deploy("construction_bundle")
    case_id = bundle_walk.submit_and_accept(hall)
    hall.do(case_id, "cg_chengban", {"cg_outcome": "supplement", "cg_opinion": "缺受纳证明",
                                     "cg_supplement_items": "消纳场受纳证明"})
    bundle_walk.review(hall, case_id, "zj")
    assert hall.open(case_id) == ["cg_supplement"]
    assert hall.case(case_id).next_timer_due == at("2025-11-13", "23:59:59")
    assert move_to(hall, at("2025-11-14")) == 1
    view = hall.case(case_id)
    assert (view.data["construction_result"], view.data["waste_result"]) == ("granted", "refused")
    [denial] = _documents(hall, case_id, "denial_decision")
    assert denial.permit == "waste" and "城市管理局渣土管理办公室" in denial.html.split('class="signature"')[1]
    record = hall.deadlines(case_id)
    assert record is not None
    waste = {p.key: p for p in record.permits}["waste"]
    assert waste.statutory_state == "done" and waste.paused == ()  # never stopped: no basis for it
