"""存量房转移登记 at one window: every path of processes/realestate_tax walked with the hall driver.

After acceptance 住建 (交易核验), 税务 (核税 → 缴税) and 登记机构 (审核) work in parallel; registration
(登簿, 缮证) follows only when all three are done, both checks passed and the tax is paid (先税后证).
Tax paid is the message ``tax_paid`` (一事联办): the tax system sends it by 办件编号, or the tax officer's
``tax_collect`` confirmation sends it inside the case; the 缴税期限 timer ends the case when neither comes.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.actors import Actor
from engine.errors import FormDataInvalid
from engine.errors import MessageNotCorrelated
from engine.services import cases
from engine.services.messages import send_message
from tests.processes.conftest import Hall

MATTER = "realestate_tax"
UNIT_NUMBER = "320102001001GB00012F00010001"

APPLICATION: dict[str, Any] = {
    "unit_number": UNIT_NUMBER,
    "location": "南京市玄武区中山路18号3幢502室",
    "area_m2": 89.5,
    "usage": "住宅",
    "buyer_name": "王敏",
    "buyer_id_no": "320104198506152346",
    "seller_name": "李强",
    "seller_id_no": "320102198001011238",
    "price_yuan": 2350000,
    "payment_method": "full",
    "seller_only_home_five_years": "yes",
    "buyer_home_order": "first",
    "contact_mobile": "13912345678",
    "delivery_method": "ems",
    "mailing_address": "南京市鼓楼区北京西路1号",
}
TAX = {"tax_taxable_price": 2350000, "tax_deed_amount": 23500, "tax_vat_amount": 0, "tax_iit_amount": 0,
       "tax_note": "满五唯一免征个税；首套 90 平方米以下契税 1%"}
PARALLEL = ["reg_review", "tax_assess", "trade_check"]
TAX_SYSTEM = Actor("tax_system", "税务征管系统", frozenset({"integration"}))
RECEIPT = {"amount": 23500, "receipt_no": "SK320100202509260001"}


@pytest.fixture
def hall_re(hall: Hall) -> Hall:
    hall.deploy(MATTER)
    return hall


def apply_and_accept(hall: Hall) -> int:
    case = hall.start(MATTER)
    assert hall.open(case.id) == ["apply"]
    hall.do(case.id, "apply", APPLICATION)
    assert hall.open(case.id) == ["rc_check"]
    view = hall.do(case.id, "rc_check", {"reception_decision": "accept"})
    assert view.blzt == 3
    return case.id


def trade(hall: Hall, case_id: int, result: str = "ok", note: str = "网签备案有效") -> None:
    hall.do(case_id, "trade_check", {"trade_contract_no": "WQ2025092600123", "trade_result": result,
                                     "trade_note": note})


def review(hall: Hall, case_id: int, result: str = "ok") -> None:
    hall.do(case_id, "reg_review", {"registration_review_result": result, "registration_checks": ["ownership"],
                                    "registration_review_note": "权属清晰，无查封"})


def pay(hall: Hall, case_id: int) -> None:
    """The tax officer confirms the tax is in (a hall without the tax system's messages)."""
    hall.do(case_id, "tax_collect", {"tax_payment_channel": "qr", "tax_payment_ref": "SK320100202509260001"})


def doc_keys(hall: Hall, case_id: int) -> list[str]:
    return [d.doc_key for d in cases.case_documents(hall.ctx, case_id)]


def test_three_branches_are_open_at_once_after_acceptance(hall_re: Hall) -> None:
    hall = hall_re
    case_id = apply_and_accept(hall)
    view = hall.case(case_id)
    assert sorted(hall.open(case_id)) == PARALLEL
    groups = {t.element_id: t.candidate_groups for t in view.open_tasks}
    assert groups == {"trade_check": ("fc_trade",), "tax_assess": ("tax_assess",), "reg_review": ("djjg_review",)}
    assert hall.due_dates(case_id) == ("2025-10-10", "2025-11-13")
    assert view.data["tax_paid"] is False


def test_registered_after_tax_paid_and_delivered_by_ems(hall_re: Hall) -> None:
    hall = hall_re
    case_id = apply_and_accept(hall)
    trade(hall, case_id)
    review(hall, case_id)
    assert hall.open(case_id) == ["tax_assess"]
    hall.do(case_id, "tax_assess", TAX)
    data = hall.case(case_id).data
    assert data["tax_total"] == 23500 and data["tax_status"] == "assessed"
    # 10 working days after Fri 2025-09-26 (Sun 09-28 and Sat 10-11 are 调休 working days).
    assert data["tax_payment_due"] == "2025-10-16T23:59:59+08:00"
    # 先税后证: both checks are done, yet registration waits for the tax.
    assert hall.open(case_id) == ["tax_collect"]
    assert [t.candidate_groups for t in hall.case(case_id).open_tasks] == [("tax_assess",)]
    pay(hall, case_id)
    assert hall.open(case_id) == ["register"]
    data = hall.case(case_id).data
    assert data["tax_paid"] is True
    assert (data["tax_receipt_no"], data["tax_paid_amount"]) == ("SK320100202509260001", 23500)
    # The tax system's message coming after the officer's confirmation finds nothing waiting: 404, not applied twice.
    with pytest.raises(MessageNotCorrelated):
        send_message(hall.ctx, TAX_SYSTEM, "tax_paid", correlation={"办件编号": hall.case(case_id).case_number},
                     payload=RECEIPT)
    hall.do(case_id, "register", {"register_opinion": "准予登簿"})
    view = hall.do(case_id, "certify", {"certificate_no": "苏（2025）南京市不动产权第0123456号"})
    assert view.blzt == 11 and hall.open(case_id) == ["dl_ems"]
    certificate = cases.case_documents(hall.ctx, case_id)[-1]
    assert certificate.doc_key == "realestate_certificate"
    assert "王敏" in certificate.html and UNIT_NUMBER in certificate.html and "89.5" in certificate.html

    hall.do(case_id, "dl_ems", {"mailing_address": APPLICATION["mailing_address"],
                                "ems_tracking_number": "EA123456789CN"})
    hall.do(case_id, "dl_rating", {"rating": "satisfied"})
    view = hall.case(case_id)
    assert (view.status, view.blzt, view.open_tasks) == ("completed", 11, ())
    assert view.data["tax_status"] == "paid" and view.data["delivery_result"] == "delivered"
    assert doc_keys(hall, case_id) == ["receipt", "acceptance_notice", "realestate_certificate"]


def test_tax_not_paid_before_its_deadline_ends_the_case(hall_re: Hall) -> None:
    hall = hall_re
    case_id = apply_and_accept(hall)
    hall.do(case_id, "tax_assess", TAX)
    trade(hall, case_id)
    assert sorted(hall.open(case_id)) == ["reg_review", "tax_collect"]
    hall.advance(days=14)  # Fri 2025-10-10: deadline 10-16 not reached
    assert sorted(hall.open(case_id)) == ["reg_review", "tax_collect"]
    hall.advance(days=8)  # Sat 2025-10-18: overdue
    view = hall.case(case_id)
    # The open review is withdrawn too: nothing is registered without the tax.
    assert (view.status, view.blzt, view.open_tasks) == ("completed", 14, ())
    assert view.data["tax_status"] == "overdue" and view.data["registration_outcome"] == "withdrawn"
    assert "realestate_certificate" not in doc_keys(hall, case_id)
    with pytest.raises(MessageNotCorrelated):  # paid too late: the case no longer waits for it
        send_message(hall.ctx, TAX_SYSTEM, "tax_paid", correlation={"办件编号": view.case_number}, payload=RECEIPT)


def test_the_tax_systems_message_by_case_number_lets_the_registry_go_on(hall_re: Hall) -> None:
    """一事联办: no 完税证明 fetched, no officer's confirmation: the tax system's message is enough."""
    hall = hall_re
    case_id = apply_and_accept(hall)
    trade(hall, case_id)
    review(hall, case_id)
    hall.do(case_id, "tax_assess", TAX)
    number = hall.case(case_id).case_number
    result = send_message(hall.ctx, TAX_SYSTEM, "tax_paid", correlation={"办件编号": number}, payload=RECEIPT)
    assert [d.case_id for d in result.delivered] == [case_id]
    # The officer's confirmation is withdrawn (the tax is in); the registry registers.
    assert hall.open(case_id) == ["register"]
    data = hall.case(case_id).data
    assert data["tax_paid"] is True and data["tax_status"] == "paid"
    assert data["tax_receipt_no"] == "SK320100202509260001"
    received = [h for h in hall.history(case_id) if h.event_type == "message_received"]
    assert len(received) == 1 and received[0].actor_id == "tax_system"


def test_a_tax_message_for_a_wrong_case_number_or_payload_changes_nothing(hall_re: Hall) -> None:
    hall = hall_re
    case_id = apply_and_accept(hall)
    hall.do(case_id, "tax_assess", TAX)
    before = (hall.open(case_id), len(hall.history(case_id)))
    with pytest.raises(MessageNotCorrelated):
        send_message(hall.ctx, TAX_SYSTEM, "tax_paid", correlation={"办件编号": "X" * 43}, payload=RECEIPT)
    number = hall.case(case_id).case_number
    with pytest.raises(FormDataInvalid) as info:
        send_message(hall.ctx, TAX_SYSTEM, "tax_paid", correlation={"办件编号": number},
                     payload={"amount": "23500", "receipt_no": "SK1"})
    assert "amount" in info.value.errors
    assert (hall.open(case_id), len(hall.history(case_id))) == before
    assert hall.case(case_id).data["tax_paid"] is False


def test_a_tax_message_before_the_assessment_is_not_accepted(hall_re: Hall) -> None:
    """Nothing waits for the tax before the 缴款通知: the sender is told so (404), not silently dropped."""
    hall = hall_re
    case_id = apply_and_accept(hall)
    number = hall.case(case_id).case_number
    with pytest.raises(MessageNotCorrelated):
        send_message(hall.ctx, TAX_SYSTEM, "tax_paid", correlation={"办件编号": number}, payload=RECEIPT)
    assert sorted(hall.open(case_id)) == PARALLEL


def test_trade_check_problem_leads_to_written_denial(hall_re: Hall) -> None:
    hall = hall_re
    case_id = apply_and_accept(hall)
    trade(hall, case_id, "problem", "网签合同已被撤销备案")
    hall.do(case_id, "tax_assess", TAX)
    pay(hall, case_id)
    assert hall.open(case_id) == ["reg_review"]
    review(hall, case_id)
    view = hall.case(case_id)
    assert (view.status, view.blzt, view.open_tasks) == ("completed", 13, ())
    assert view.data["registration_outcome"] == "denied"
    denial = cases.case_documents(hall.ctx, case_id)[-1]
    assert denial.doc_key == "denial_decision"
    assert "交易核验：网签合同已被撤销备案" in denial.html and "王敏、李强" in denial.html


def test_registration_review_problem_leads_to_written_denial(hall_re: Hall) -> None:
    hall = hall_re
    case_id = apply_and_accept(hall)
    review(hall, case_id, "problem")
    trade(hall, case_id)
    hall.do(case_id, "tax_assess", TAX)
    pay(hall, case_id)
    view = hall.case(case_id)
    assert (view.status, view.blzt) == ("completed", 13)
    assert "登记审核：权属清晰，无查封" in cases.case_documents(hall.ctx, case_id)[-1].html


def test_invalid_id_number_is_refused_by_the_form(hall_re: Hall) -> None:
    hall = hall_re
    case = hall.start(MATTER)
    with pytest.raises(FormDataInvalid) as info:
        hall.do(case.id, "apply", {**APPLICATION, "seller_id_no": "320102198001011239"})
    assert "seller_id_no" in info.value.errors


def test_the_case_says_it_waits_for_the_tax_systems_message_and_since_when(hall_re: Hall) -> None:
    """A case waiting on another system reads as stalled unless it says what it waits for: both audiences
    see the waiting step and since when; only staff see the message's name (an integration detail)."""
    from engine.services.casework import case_projection

    hall = hall_re
    case_id = apply_and_accept(hall)
    trade(hall, case_id)
    review(hall, case_id)
    hall.do(case_id, "tax_assess", TAX)
    staff = case_projection(hall.ctx, case_id, Actor("sup", "督办", frozenset({"supervisor"}))).waits
    applicant = case_projection(hall.ctx, case_id, Actor("u_applicant", "申请人", frozenset({"applicant"}))).waits
    waiting = next(w for w in staff if w.element_id == "wait_tax")
    assert (waiting.element_name, waiting.kind, waiting.name) == ("等待缴税到账", "message", "tax_paid")
    assert waiting.since == hall.clock.now()
    assert {w.element_name for w in applicant} >= {"等待缴税到账"} and all(w.name == "" for w in applicant)

    send_message(hall.ctx, TAX_SYSTEM, "tax_paid", correlation={"办件编号": hall.case(case_id).case_number},
                 payload=RECEIPT)
    assert not any(w.name == "tax_paid" for w in case_projection(hall.ctx, case_id, Actor(
        "sup", "督办", frozenset({"supervisor"}))).waits)
