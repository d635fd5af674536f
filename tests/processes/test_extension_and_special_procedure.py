"""延长期限 (行政许可法 art. 42) and 特别程序 (art. 45) on the shipped matters, with the injected clock.

Hygiene licence accepted Fri 2025-09-26: promised 5 working days (10-10), statutory 20 (10-30), at most
10 more with the approval of the 卫生健康委员会负责人 (group ``ws_fzr``). The bundle's 处置核准 may be
extended by the 城市管理局负责人 (``cg_fzr``); its 施工许可 may not be extended at all (建筑法 art. 8).
"""

from __future__ import annotations

from datetime import date

import pytest

from engine.actors import Actor
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.services import cases
from engine.services.deadline_requests import decide_extension
from engine.services.deadline_requests import end_special_procedure
from engine.services.deadline_requests import request_extension
from engine.services.deadline_requests import start_special_procedure
from tests.processes import test_construction_bundle as bundle_walk
from tests.processes import test_hygiene_licence as hygiene_walk
from tests.processes.conftest import Hall
from tests.processes.test_food_business import at

REVIEWER = Actor("ws_reviewer", "审查员", frozenset({"ws_review"}))
HEAD = Actor("ws_head", "卫健委负责人", frozenset({"ws_fzr"}))
REASON = "需对集中空调通风系统进行补充现场审核"


@pytest.fixture
def hygiene(hall: Hall) -> tuple[Hall, int]:
    hall.deploy("hygiene_licence")
    return hall, hygiene_walk.apply_and_accept(hall)


def _docs(hall: Hall, case_id: int, key: str) -> list[cases.DocumentView]:
    return [d for d in cases.case_documents(hall.ctx, case_id) if d.doc_key == key]


def _events(hall: Hall, case_id: int, event_type: str) -> list[cases.HistoryView]:
    return [h for h in hall.history(case_id) if h.event_type == event_type]


# -- extension -------------------------------------------------------------------------------------


@pytest.mark.parametrize("approver", [
    Actor("chief", "科长", frozenset({"ws_chief"})),  # the section chief decides the permit, not the extension
    Actor("ws", "窗口负责人", frozenset({"window_supervisor"})),
    Actor("sup", "督办", frozenset({"supervisor"})),
    Actor("root", "系统管理员", frozenset({"admin"})),
    Actor("cg", "城管局负责人", frozenset({"cg_fzr"})),  # another department's head
])
def test_an_extension_approved_by_anyone_but_the_deciding_departments_head_is_refused(
        hygiene: tuple[Hall, int], approver: Actor) -> None:
    hall, case_id = hygiene
    request = request_extension(hall.ctx, case_id, REVIEWER, days=10, reason=REASON)
    with pytest.raises(NotAllowed) as refused:
        decide_extension(hall.ctx, request.id, approver, approve=True)
    assert "卫生健康委员会负责人" in refused.value.message
    assert hall.due_dates(case_id) == ("2025-10-10", "2025-10-30")  # nothing moved
    assert _docs(hall, case_id, "extension_notice") == []


def test_the_heads_approval_moves_the_stored_deadline_and_tells_the_applicant(hygiene: tuple[Hall, int]) -> None:
    hall, case_id = hygiene
    hall.clock.set(at("2025-10-20", "09:00:00"))
    request = request_extension(hall.ctx, case_id, REVIEWER, days=10, reason=REASON)
    assert request.status == "pending" and request.approver_title == "卫生健康委员会负责人"
    assert hall.due_dates(case_id) == ("2025-10-10", "2025-10-30")  # a request alone moves nothing
    decided = decide_extension(hall.ctx, request.id, HEAD, approve=True, note="同意")
    assert (decided.status, decided.decided_by) == ("approved", "ws_head")
    record = hall.deadlines(case_id)
    assert record is not None
    # 10-30 + 10 working days = 11-13; the promise (10-10) is not moved by an extension.
    assert (record.promised_due, record.statutory_due, record.extension_wd) == (
        date(2025, 10, 10), date(2025, 11, 13), 10)
    [extended] = _events(hall, case_id, "deadline_extended")
    assert (extended.actor_id, extended.to_state) == ("ws_head", "10")
    assert extended.data_after["reason"] == REASON and extended.data_after["requested_by"] == "ws_reviewer"
    assert extended.data_before["statutory_due"] == "2025-10-30"
    [notice] = _docs(hall, case_id, "extension_notice")
    assert notice.title == "延长办理期限告知书"
    for text in ("2025年10月30日", "2025年11月13日", "10 个工作日", REASON, "第四十二条", "卫生健康委员会负责人批准"):
        assert text in notice.html
    # Over the limit: 10 of 10 used.
    with pytest.raises(NotAllowed, match="超过可延长的 10 个工作日"):
        request_extension(hall.ctx, case_id, REVIEWER, days=1, reason=REASON)


def test_who_may_ask_and_what_a_request_needs(hygiene: tuple[Hall, int]) -> None:
    hall, case_id = hygiene
    with pytest.raises(NotAllowed, match="承办人员"):
        request_extension(hall.ctx, case_id, Actor("w", groups=frozenset({"window_clerk"})), days=5, reason=REASON)
    with pytest.raises(FormDataInvalid) as no_reason:
        request_extension(hall.ctx, case_id, REVIEWER, days=5, reason="  延期 ")
    assert "reason" in no_reason.value.errors
    with pytest.raises(FormDataInvalid) as too_many:
        request_extension(hall.ctx, case_id, REVIEWER, days=11, reason=REASON)
    assert "days" in too_many.value.errors
    request = request_extension(hall.ctx, case_id, REVIEWER, days=4, reason=REASON)
    with pytest.raises(NotAllowed, match="待审批"):
        request_extension(hall.ctx, case_id, REVIEWER, days=4, reason=REASON)
    refused = decide_extension(hall.ctx, request.id, HEAD, approve=False, note="可在期限内办结")
    assert refused.status == "refused" and _events(hall, case_id, "extension_refused")
    assert hall.due_dates(case_id) == ("2025-10-10", "2025-10-30")
    with pytest.raises(NotAllowed, match="已处理"):
        decide_extension(hall.ctx, request.id, HEAD, approve=True)


def test_no_extension_past_the_deadline_or_on_a_closed_case(hygiene: tuple[Hall, int]) -> None:
    hall, case_id = hygiene
    hall.clock.set(at("2025-10-30", "16:00:00"))  # the last day: still in time to ask
    request = request_extension(hall.ctx, case_id, REVIEWER, days=5, reason=REASON)
    hall.clock.set(at("2025-10-31", "09:00:00"))  # the head decides a day too late
    with pytest.raises(NotAllowed, match="已超过法定办结期限"):
        decide_extension(hall.ctx, request.id, HEAD, approve=True)
    with pytest.raises(NotAllowed, match="已超过法定办结期限"):
        request_extension(hall.ctx, case_id, REVIEWER, days=5, reason=REASON)

    hall.clock.set(at("2025-10-09", "10:00:00"))
    other = hygiene_walk.apply_and_accept(hall)
    hygiene_walk.through_review(hall, other)
    hall.do(other, "approve", {"chief_decision": "grant", "chief_opinion": "同意"})  # 办结: the clock stopped
    with pytest.raises(NotAllowed, match="已办结"):
        request_extension(hall.ctx, other, REVIEWER, days=5, reason=REASON)


def test_a_bundle_extends_one_permit_with_its_own_departments_head(hall: Hall) -> None:
    hall.deploy("construction_bundle")
    case_id = bundle_walk.submit_and_accept(hall)
    cg_staff = Actor("cg1", groups=frozenset({"cg_chengban"}))
    with pytest.raises(FormDataInvalid) as which:
        request_extension(hall.ctx, case_id, cg_staff, days=5, reason=REASON)
    assert "permit" in which.value.errors
    with pytest.raises(NotAllowed, match="依法不得延长"):
        request_extension(hall.ctx, case_id, Actor("zj1", groups=frozenset({"zj_chengban"})), days=5,
                          reason=REASON, permit="construction")
    with pytest.raises(NotAllowed):  # 城管 staff cannot ask for 住建's permit
        request_extension(hall.ctx, case_id, cg_staff, days=5, reason=REASON, permit="construction")
    request = request_extension(hall.ctx, case_id, cg_staff, days=10, reason="需组织运输路线专家论证", permit="waste")
    with pytest.raises(NotAllowed, match="城市管理局负责人"):
        decide_extension(hall.ctx, request.id, Actor("zjh", groups=frozenset({"zj_fzr"})), approve=True)
    decide_extension(hall.ctx, request.id, Actor("cgh", groups=frozenset({"cg_fzr"})), approve=True)
    record = hall.deadlines(case_id)
    assert record is not None
    permits = {p.key: p for p in record.permits}
    assert permits["waste"].statutory_due == date(2025, 11, 13)  # 10-30 + 10 working days
    assert permits["construction"].statutory_due == date(2025, 10, 13)  # untouched
    assert record.statutory_due == date(2025, 11, 13)  # the bundle is due with its last permit
    [notice] = _docs(hall, case_id, "extension_notice")
    assert notice.permit == "waste" and "城市管理局渣土管理办公室" in notice.html.split('class="signature"')[1]


# -- 特别程序 ---------------------------------------------------------------------------------------


def test_special_procedure_stops_the_clock_for_exactly_its_days(hygiene: tuple[Hall, int]) -> None:
    hall, case_id = hygiene
    hall.do(case_id, "written_review", {"written_review_note": "需对公共用品送检"})
    assert hall.case(case_id).blzt == 8
    hall.clock.set(at("2025-10-13", "10:00:00"))  # Monday
    start_special_procedure(hall.ctx, case_id, REVIEWER, kind="检测", reason="公共用品（毛巾）微生物指标送检",
                            expected_days=5)
    assert hall.case(case_id).blzt == 9
    [notice] = _docs(hall, case_id, "special_procedure_notice")
    for text in ("检测", "2025年10月13日", "5 个工作日", "2025年10月20日", "第四十五条", "不计算在办理期限内"):
        assert text in notice.html
    record = hall.deadlines(case_id)
    assert record is not None and record.is_paused
    hall.clock.set(at("2025-10-17", "15:00:00"))  # Friday: the laboratory's report arrives
    end_special_procedure(hall.ctx, case_id, REVIEWER, result="检测结果合格")
    assert hall.case(case_id).blzt == 8  # back to 部门开始办理 after 特别程序（结束）
    record = hall.deadlines(case_id)
    assert record is not None and not record.is_paused
    assert record.paused == ((date(2025, 10, 13), date(2025, 10, 17)),)
    # 13, 14, 15, 16 October are off the clock: 10-30 + 4 working days = 11-05.
    assert record.statutory_due == date(2025, 11, 5)
    assert record.promised_due == date(2025, 10, 10)  # the promise had run out before: a pause cannot revive it
    ended = _docs(hall, case_id, "special_procedure_notice")[-1]
    assert "2025年10月13日 至 2025年10月17日" in ended.html and "工作日 4 个" in ended.html
    assert "2025年11月5日" in ended.html
    codes = [int(h.to_state) for h in hall.history(case_id) if h.event_type == "status_changed"]
    assert codes[-2:] == [9, 10]


def test_special_procedure_rules(hygiene: tuple[Hall, int]) -> None:
    hall, case_id = hygiene
    with pytest.raises(FormDataInvalid) as kind:
        start_special_procedure(hall.ctx, case_id, REVIEWER, kind="专家评审", reason="组织专家评审", expected_days=5)
    assert "检验、检测" in kind.value.errors["kind"]
    with pytest.raises(NotAllowed):
        start_special_procedure(hall.ctx, case_id, Actor("w", groups=frozenset({"window_clerk"})), kind="检测",
                                reason="公共用品送检", expected_days=5)
    with pytest.raises(NotAllowed, match="没有进行中的特别程序"):
        end_special_procedure(hall.ctx, case_id, REVIEWER, result="检测结果合格")
    start_special_procedure(hall.ctx, case_id, REVIEWER, kind="检验", reason="公共用品送检", expected_days=3)
    with pytest.raises(NotAllowed, match="暂停中"):
        start_special_procedure(hall.ctx, case_id, REVIEWER, kind="检测", reason="再次送检", expected_days=3)


def test_bundle_expert_review_stops_only_its_permits_clock(hall: Hall) -> None:
    hall.deploy("construction_bundle")
    case_id = bundle_walk.submit_and_accept(hall)
    cg_staff = Actor("cg1", groups=frozenset({"cg_shenhe"}))
    hall.clock.set(at("2025-10-13", "10:00:00"))
    start_special_procedure(hall.ctx, case_id, cg_staff, kind="专家评审", reason="消纳场选址需专家评审",
                            expected_days=10, permit="waste")
    hall.clock.set(at("2025-10-20", "10:00:00"))  # a week later (5 working days)
    end_special_procedure(hall.ctx, case_id, cg_staff, result="专家评审通过", permit="waste")
    record = hall.deadlines(case_id)
    assert record is not None
    permits = {p.key: p for p in record.permits}
    assert permits["waste"].statutory_due == date(2025, 11, 6)  # 10-30 + 5 working days
    assert permits["construction"].statutory_due == date(2025, 10, 13)
    assert all(d.permit == "waste" for d in _docs(hall, case_id, "special_procedure_notice"))
