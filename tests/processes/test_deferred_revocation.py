"""Revocation with due process after 容缺受理 (issue #10 point 6), on the 2026 State Council calendar.

A 两证打包审 case is accepted on Monday 2026-03-02 with the 车辆冲洗设施 photos missing (容缺, 10 working
days: due Monday 2026-03-16). They never arrive. The timer only raises the case to the lead department's
负责人 (matter.toml ``[revocation] head_group``): nothing is revoked and nothing ends. If the 负责人
starts the procedure the applicant is served a notice with 5 working days to state and defend
(Tuesday 2026-03-17 → Tuesday 2026-03-24); only then does the 负责人 decide, with reasons, and a credit
record is written exactly when the decision says so. The written decision is served and in the history.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.documents import chinese_date
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.services import cases
from engine.services import tasks
from engine.services.service_of_documents import record_delivery
from tests.processes.conftest import Hall
from tests.processes.test_construction_bundle import APPLICATION
from tests.processes.test_construction_bundle import MATTER
from tests.processes.test_construction_bundle import review

CN = timezone(timedelta(hours=8))
HEAD = "u_zj_fzr"
CREDIT_CODE = APPLICATION["credit_code"]
DEFERRED = "车辆冲洗设施图纸或照片"
START = {"overdue_action": "revoke", "overdue_note": "容缺补交期限届满，申请人仍未提交车辆冲洗设施图纸或照片。"}


@pytest.fixture
def clock() -> FixedClock:
    # Monday 2026-03-02 10:00 China time.
    return FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


def _move_to(hall: Hall, moment: datetime) -> int:
    return hall.advance(seconds=(moment - hall.clock.now()).total_seconds())


def _granted_with_a_gap(hall: Hall) -> int:
    """Accepted 容缺 on 2026-03-02, both permits granted; the case waits for the missing photos."""
    hall.deploy(MATTER)
    case_id = hall.start(MATTER).id
    hall.do(case_id, "apply", APPLICATION)
    hall.do(case_id, "rc_check", {"reception_decision": "fallback", "reception_note": "缺车辆冲洗设施图纸"})
    hall.do(case_id, "rc_fallback", {"deferred_items": DEFERRED, "commitment_signed": "yes",
                                     "deferred_limit_wd": 10, "fallback_note": "已签署容缺受理承诺书"})
    review(hall, case_id, "zj")
    review(hall, case_id, "cg")
    assert hall.open(case_id) == ["dl_deferred_supplement"]
    return case_id


def _raised(hall: Hall) -> int:
    case_id = _granted_with_a_gap(hall)
    # Ten working days after Monday 03-02: Monday 03-16, to the end of that day.
    assert hall.case(case_id).next_timer_due == datetime(2026, 3, 16, 23, 59, 59, tzinfo=CN)
    assert _move_to(hall, datetime(2026, 3, 17, 9, tzinfo=CN)) == 1
    return case_id


def _noticed(hall: Hall) -> int:
    case_id = _raised(hall)
    hall.do(case_id, "dl_deferred_overdue", START, user=HEAD)
    assert hall.open(case_id) == ["rv_statement"]
    return case_id


def _docs(hall: Hall, case_id: int) -> list[str]:
    return [d.doc_key for d in cases.case_documents(hall.ctx, case_id)]


def _doc(hall: Hall, case_id: int, key: str) -> str:
    return next(d.html for d in cases.case_documents(hall.ctx, case_id) if d.doc_key == key)


def _credit(hall: Hall, case_id: int) -> list[tuple[str, str]]:
    return [(h.data_after["credit_code"], h.data_after.get("subject", "applicant"))
            for h in hall.history(case_id) if h.event_type == "credit_recorded"]


def _codes(hall: Hall, case_id: int) -> list[int]:
    return [int(h.to_state) for h in hall.history(case_id) if h.event_type == "status_changed"]


def test_the_lapsed_period_only_raises_the_case_to_the_head(hall: Hall) -> None:
    case_id = _raised(hall)
    view = hall.case(case_id)
    assert view.status == "running" and [t.element_id for t in view.open_tasks] == ["dl_deferred_overdue"]
    assert view.open_tasks[0].candidate_groups == ("zj_fzr",)
    assert 15 not in _codes(hall, case_id) and "revocation_decision" not in _docs(hall, case_id)
    assert _credit(hall, case_id) == []
    task = view.open_tasks[0]
    for group in ("window_clerk", "fallback_clerk", "supervisor"):  # the clerk can no longer revoke
        with pytest.raises(NotAllowed):
            tasks.complete_task(hall.ctx, case_id, task.task_uuid, START,
                                Actor(f"u_{group}", groups=frozenset({group})))
    with pytest.raises(FormDataInvalid):  # starting the procedure needs the facts and reasons
        hall.do(case_id, "dl_deferred_overdue", {**START, "overdue_note": "逾期"}, user=HEAD)
    assert hall.open(case_id) == ["dl_deferred_overdue"]


def test_the_notice_gives_five_working_days_and_silence_is_respected_until_they_end(hall: Hall) -> None:
    case_id = _noticed(hall)
    data = hall.case(case_id).data
    assert (data["statement_period_wd"], data["statement_due"]) == (5, "2026-03-24")
    notice = _doc(hall, case_id, "revocation_notice")
    assert chinese_date("2026-03-24") in notice and "5 个工作日" in notice and "视为放弃" in notice
    assert "以容缺受理方式申请" in notice and DEFERRED in notice and START["overdue_note"] in notice
    assert "revocation_decision" not in _docs(hall, case_id)
    assert _move_to(hall, datetime(2026, 3, 24, 23, tzinfo=CN)) == 0  # Tuesday 23:00: still within the period
    assert hall.open(case_id) == ["rv_statement"]
    assert hall.advance(hours=1) == 1
    assert hall.open(case_id) == ["rv_decide"] and hall.case(case_id).data["statement_received"] is False
    keep = {"revocation_decision": "keep",
            "decision_reasons": "申请人系因设备采购延误，情节轻微，不予撤销，重新给予补交期限。"}
    view = hall.do(case_id, "rv_decide", keep, user=HEAD)
    assert view.status == "running" and hall.open(case_id) == ["dl_deferred_supplement"]
    assert 15 not in _codes(hall, case_id) and _credit(hall, case_id) == []


def test_the_head_revokes_after_a_statement_with_a_credit_record_and_the_decision_is_served(hall: Hall) -> None:
    case_id = _noticed(hall)
    hall.do(case_id, "rv_statement", {"statement_text": "冲洗设施尚在安装，请求宽限。"})
    assert hall.open(case_id) == ["rv_decide"]
    with pytest.raises(FormDataInvalid):  # a revocation says whether it is recorded in the credit file
        hall.do(case_id, "rv_decide", {"revocation_decision": "revoke", "decision_reasons": "承诺期满仍未补交材料。"},
                user=HEAD)
    view = hall.do(case_id, "rv_decide", {
        "revocation_decision": "revoke", "record_credit": "yes",
        "decision_reasons": "陈述理由不能成立：补交期限系申请人承诺，期满仍未补交车辆冲洗设施材料。"}, user=HEAD)
    assert (view.status, view.blzt) == ("completed", 15) and view.data["delivery_result"] == "revoked"
    assert _credit(hall, case_id) == [(CREDIT_CODE, "applicant")]
    assert hall.ctx.services["credit_status"]({"credit_code": CREDIT_CODE}) == {"clean": False, "violations": 1}
    decision = next(d for d in cases.case_documents(hall.ctx, case_id) if d.doc_key == "revocation_decision")
    assert "提出了陈述、申辩意见" in decision.html and "未履行容缺受理承诺" in decision.html
    assert "记入你（单位）的信用记录" in decision.html
    # Served at the window on Wednesday 2026-03-25, recorded in the history.
    _move_to(hall, datetime(2026, 3, 25, 10, tzinfo=CN))
    served = record_delivery(hall.ctx, case_id, decision.id, Actor("u_window", groups=frozenset({"window_clerk"})),
                             {"channel": "window", "receiver_name": "李明", "receiver_id_number": "11010519491231002X"})
    assert served.status == "served"
    rows = [h for h in hall.history(case_id) if h.event_type == "document_served"]
    assert [r.data_after["doc_key"] for r in rows][-1] == "revocation_decision"


def test_a_revocation_that_says_no_credit_record_writes_none_but_may_name_a_third_party(hall: Hall) -> None:
    case_id = _noticed(hall)
    assert _move_to(hall, datetime(2026, 3, 25, 9, tzinfo=CN)) == 1
    hall.do(case_id, "rv_decide", {
        "revocation_decision": "revoke", "record_credit": "no", "third_party_credit": "yes",
        "decision_reasons": "期满未补交且未陈述申辩；冲洗设施图纸由设计单位出具不实说明，申请人情节较轻。",
        "third_party_name": "临江建筑设计研究院有限公司", "third_party_role": "设计单位",
        "third_party_credit_code": "91320100MA1XKT3B9H", "third_party_finding": "出具的冲洗设施完工说明不实"},
        user=HEAD)
    assert _credit(hall, case_id) == [("91320100MA1XKT3B9H", "third_party")]
    assert hall.ctx.services["credit_status"]({"credit_code": CREDIT_CODE}) == {"clean": True, "violations": 0}
    printed = _doc(hall, case_id, "revocation_decision")
    assert "记入你（单位）的信用记录" not in printed and "临江建筑设计研究院有限公司（设计单位）" in printed
    assert "未提出陈述、申辩" in printed
