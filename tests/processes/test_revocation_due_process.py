"""Revocation in 先建后验 with due process (issue #10 point 6), on the State Council calendar.

The drawings promised by Friday 2025-10-10 never arrive; the rectification ordered then is due Friday
2025-10-24 and passes. The timer only raises the matter to the 行政审批局 负责人; if they start the
procedure, the applicant gets a notice with a 陈述申辩 period of 5 working days (matter.toml
``[revocation]``); then the 负责人 decides, and the credit record is written exactly when the
decision says so, for the applicant and for a third party the decision names.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from engine.actors import Actor
from engine.documents import chinese_date
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.services import cases
from engine.services import tasks
from tests.processes.conftest import Hall
from tests.processes.test_build_first import CLEAN_CODE
from tests.processes.test_build_first import MATTER
from tests.processes.test_build_first import _missed_drawings_deadline

CN = timezone(timedelta(hours=8))
HEAD = "u_xzsp_fzr"
DESIGN_INSTITUTE = "91320100MA1XKT3B9G"[:-1] + "H"  # another enterprise: the design institute
PROPOSAL = {"proposal": "start", "proposal_reasons": "整改期限届满仍未提交经审查合格的施工图设计文件，承诺不实。"}


def _to_the_head(hall: Hall) -> int:
    """The rectification deadline passes; on Monday 2025-10-27 10:00 the case waits for the 负责人."""
    hall.deploy(MATTER)
    case_id = _missed_drawings_deadline(hall)
    hall.advance(seconds=(datetime(2025, 10, 27, 10, tzinfo=CN) - hall.clock.now()).total_seconds())
    assert hall.open(case_id) == ["propose_revocation"]
    return case_id


def _noticed(hall: Hall) -> int:
    case_id = _to_the_head(hall)
    hall.do(case_id, "propose_revocation", PROPOSAL)
    assert hall.open(case_id) == ["rv_statement"]
    return case_id


def _credit_entries(hall: Hall, case_id: int) -> list[tuple[str, str]]:
    return [(h.data_after["credit_code"], h.data_after.get("subject", "applicant"))
            for h in hall.history(case_id) if h.event_type == "credit_recorded"]


def _doc(hall: Hall, case_id: int, key: str) -> str:
    return next(d.html for d in cases.case_documents(hall.ctx, case_id) if d.doc_key == key)


def test_the_notice_gives_five_working_days_to_state_and_defend(hall: Hall) -> None:
    case_id = _noticed(hall)
    data = hall.case(case_id).data
    # Notice on Monday 2025-10-27: Tue 28, Wed 29, Thu 30, Fri 31, Mon 11-03.
    assert (data["statement_period_wd"], data["statement_due"]) == (5, "2025-11-03")
    notice = _doc(hall, case_id, "revocation_notice")
    assert chinese_date("2025-11-03") in notice and "5 个工作日" in notice and "陈述" in notice
    assert PROPOSAL["proposal_reasons"] in notice and "视为放弃" in notice
    assert "revocation_decision" not in [d.doc_key for d in cases.case_documents(hall.ctx, case_id)]
    assert _credit_entries(hall, case_id) == []


def test_the_applicant_states_their_case_and_the_head_revokes_with_a_credit_record(hall: Hall) -> None:
    case_id = _noticed(hall)
    hall.do(case_id, "rv_statement", {"statement_text": "设计院延误出图，我司已催告，请求宽限。"})
    assert hall.open(case_id) == ["rv_decide"]
    view = hall.do(case_id, "rv_decide", {
        "revocation_decision": "revoke", "record_credit": "yes",
        "decision_reasons": "陈述理由不能成立：承诺期限由企业自行确定，逾期未交且整改期满仍未交。"}, user=HEAD)
    assert (view.status, view.blzt) == ("completed", 15)
    assert _credit_entries(hall, case_id) == [(CLEAN_CODE, "applicant")]
    assert hall.ctx.services["credit_status"]({"credit_code": CLEAN_CODE}) == {"clean": False, "violations": 1}
    decision = _doc(hall, case_id, "revocation_decision")
    assert "提出了陈述、申辩意见" in decision and "陈述理由不能成立" in decision
    assert "记入你（单位）的信用记录" in decision


def test_a_revocation_without_a_credit_record_writes_none(hall: Hall) -> None:
    case_id = _noticed(hall)
    hall.do(case_id, "rv_statement", {"statement_text": "承诺事项确未履行，无异议。"})
    view = hall.do(case_id, "rv_decide", {
        "revocation_decision": "revoke", "record_credit": "no",
        "decision_reasons": "承诺未履行，但企业主动说明情况，情节轻微，不记入信用记录。"}, user=HEAD)
    assert view.blzt == 15 and _credit_entries(hall, case_id) == []
    assert hall.ctx.services["credit_status"]({"credit_code": CLEAN_CODE}) == {"clean": True, "violations": 0}
    assert "记入你（单位）的信用记录" not in _doc(hall, case_id, "revocation_decision")


def test_silence_past_the_period_then_the_head_does_not_revoke(hall: Hall) -> None:
    case_id = _noticed(hall)
    hall.advance(seconds=(datetime(2025, 11, 3, 23, tzinfo=CN) - hall.clock.now()).total_seconds())
    assert hall.open(case_id) == ["rv_statement"]  # Monday 23:00: still within the period
    assert hall.advance(hours=1) == 1
    assert hall.open(case_id) == ["rv_decide"] and hall.case(case_id).data["statement_received"] is False
    view = hall.do(case_id, "rv_decide", {
        "revocation_decision": "keep", "decision_reasons": "经复核，施工图已于期满后补交并审查合格，不予撤销。"},
        user=HEAD)
    assert view.status == "completed" and 15 not in [int(h.to_state) for h in hall.history(case_id)
                                                       if h.event_type == "status_changed"]
    assert "revocation_decision" not in [d.doc_key for d in cases.case_documents(hall.ctx, case_id)]
    assert _credit_entries(hall, case_id) == []


def test_a_third_party_named_in_the_decision_gets_its_own_record(hall: Hall) -> None:
    case_id = _noticed(hall)
    hall.do(case_id, "rv_statement", {"statement_text": "施工图由设计院出具，其审查合格书系伪造。"})
    decision = {"revocation_decision": "revoke", "record_credit": "no", "third_party_credit": "yes",
                "decision_reasons": "承诺所依据的审查合格书不实，审批决定予以撤销。",
                "third_party_name": "临江建筑设计研究院有限公司", "third_party_role": "设计单位",
                "third_party_credit_code": DESIGN_INSTITUTE, "third_party_finding": "出具的施工图审查合格书系伪造"}
    with pytest.raises(FormDataInvalid):  # a third party's record needs its name, code and the facts
        hall.do(case_id, "rv_decide", {**decision, "third_party_credit_code": ""}, user=HEAD)
    hall.do(case_id, "rv_decide", decision, user=HEAD)
    assert _credit_entries(hall, case_id) == [(DESIGN_INSTITUTE, "third_party")]
    assert hall.ctx.services["credit_status"]({"credit_code": DESIGN_INSTITUTE}) == {"clean": False, "violations": 1}
    assert hall.ctx.services["credit_status"]({"credit_code": CLEAN_CODE}) == {"clean": True, "violations": 0}
    printed = _doc(hall, case_id, "revocation_decision")
    assert "临江建筑设计研究院有限公司（设计单位）" in printed and "已记入其信用记录" in printed


def test_only_the_head_decides_and_may_decline_to_start(hall: Hall) -> None:
    case_id = _to_the_head(hall)
    task = next(t for t in hall.case(case_id).open_tasks if t.element_id == "propose_revocation")
    for group in ("window_clerk", "jg_inspector", "window_supervisor"):
        with pytest.raises(NotAllowed):
            tasks.complete_task(hall.ctx, case_id, task.task_uuid, PROPOSAL,
                                Actor(f"u_{group}", groups=frozenset({group})))
    view = hall.do(case_id, "propose_revocation", {"proposal": "close",
                                                   "proposal_reasons": "企业已补交并经审查合格，不启动撤销程序。"},
                   user=HEAD)
    assert view.status == "completed" and _credit_entries(hall, case_id) == []
    assert "revocation_notice" not in [d.doc_key for d in cases.case_documents(hall.ctx, case_id)]
