"""Walk-in applicants are parties to their own case (issue #10 point 8), on the shipped matters.

A clerk files for someone at the counter without an account; the case records who they are and
gets a 查询码 printed on the 收件凭证 and 受理通知书. With it and their ID number or mobile the
applicant follows, supplements and rates the case; the clerk cannot rate for them, and a 告知承诺书
the clerk enters needs the scan of the paper the applicant signed. Friday 2025-09-26 10:00 China time.
"""

from __future__ import annotations

import pytest

from engine.actors import Actor
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.persistence.repositories.cases import all_cases
from engine.policy import Relation
from engine.services import tasks
from engine.services.access import visible_case
from engine.services.applications import file_application
from engine.services.cases import case_documents
from engine.services.casework import case_projection
from engine.services.parties import MAX_FAILURES_PER_ADDRESS
from engine.services.parties import MAX_FAILURES_PER_CODE
from engine.services.parties import QueryRefused
from engine.services.parties import TooManyQueryAttempts
from engine.services.parties import WalkInApplicant
from engine.services.parties import open_with_query_code
from engine.services.parties import walk_in_of_case
from tests.processes.conftest import Hall
from tests.processes.test_food_business import APPLICATION
from tests.processes.test_hygiene_licence import APPLICATION as HYGIENE_APPLICATION

CLERK = Actor("clerk1", "窗口一", frozenset({"window_clerk"}))
ID_NUMBER = "11010519491231002X"
MOBILE = "13800138000"
WALK_IN = WalkInApplicant("王小明", "resident_id", ID_NUMBER.lower(), MOBILE)


def walk_in_case(hall: Hall, matter: str = "food_business", application: dict | None = None) -> tuple[int, str]:
    """A case the clerk filed and submitted for 王小明 at the counter; (case id, its 查询码)."""
    hall.deploy(matter)
    filed = file_application(hall.ctx, matter, CLERK, walk_in=WALK_IN)
    tasks.complete_task(hall.ctx, filed.case_id, filed.first_task, application or APPLICATION, CLERK)
    party = walk_in_of_case(hall.ctx, filed.case_id)
    assert party is not None
    return filed.case_id, party.query_code


def task_of(hall: Hall, case_id: int, element_id: str) -> str:
    return next(t.task_uuid for t in hall.case(case_id).open_tasks if t.element_id == element_id)


def test_the_case_records_the_applicant_and_prints_the_query_code(hall: Hall) -> None:
    case_id, code = walk_in_case(hall)
    party = walk_in_of_case(hall.ctx, case_id)
    assert (party.name, party.id_type, party.id_number, party.mobile) == ("王小明", "resident_id", ID_NUMBER, MOBILE)
    assert hall.case(case_id).owner_id == party.party_id != CLERK.user_id
    recorded = [h for h in hall.history(case_id) if h.event_type == "applicant_recorded"]
    assert len(recorded) == 1 and recorded[0].data_after["id_number"] == "110***********002X"
    assert ID_NUMBER not in str([h.data_after for h in hall.history(case_id)])  # history keeps it masked
    hall.do(case_id, "rc_check", {"reception_decision": "accept", "reception_note": "材料齐全"})
    printed = {d.doc_key: d.html for d in case_documents(hall.ctx, case_id)}
    for key in ("receipt", "acceptance_notice"):
        assert f'data-query-code="{code}"' in printed[key] and "110***********002X" in printed[key], key


def test_a_malformed_identity_files_nothing(hall: Hall) -> None:
    hall.deploy("food_business")
    with pytest.raises(FormDataInvalid) as refused:
        file_application(hall.ctx, "food_business", CLERK,
                         walk_in=WalkInApplicant("王小明", "resident_id", "110105194912310021", "1380013800"))
    assert refused.value.errors == {"walk_in_id_number": "居民身份证号码格式或校验位不正确",
                                    "walk_in_mobile": "手机号码格式不正确"}
    with hall.ctx.uow() as uow:
        assert all_cases(uow, with_drafts=True) == []


def test_the_query_code_with_the_id_number_or_mobile_opens_the_case(hall: Hall) -> None:
    case_id, code = walk_in_case(hall)
    by_id = open_with_query_code(hall.ctx, code.lower(), ID_NUMBER.lower(), "10.0.0.1")
    by_mobile = open_with_query_code(hall.ctx, f" {code[:5]} {code[5:]} ", MOBILE, "10.0.0.1")
    assert by_id == by_mobile and by_id.case_id == case_id
    seen = case_projection(hall.ctx, case_id, by_id.actor)
    assert seen.audience.value == "applicant" and seen.summary.case_number == hall.case(case_id).case_number
    with hall.ctx.uow() as uow:
        assert visible_case(uow, case_id, by_id.actor).access.relation is Relation.QUERY_CODE
    for wrong_code, identity in ((code, "13900000000"), ("ABCDEFGHJK", ID_NUMBER), (code, "")):
        with pytest.raises(QueryRefused):
            open_with_query_code(hall.ctx, wrong_code, identity, "10.0.0.1")


def test_guessing_is_stopped_per_address_and_per_code(hall: Hall) -> None:
    case_id, code = walk_in_case(hall)
    for n in range(MAX_FAILURES_PER_ADDRESS):
        with pytest.raises(QueryRefused):
            open_with_query_code(hall.ctx, f"GUESS{n:05d}", ID_NUMBER, "10.0.0.9")
    with pytest.raises(TooManyQueryAttempts):  # even the right answer, from that address
        open_with_query_code(hall.ctx, code, ID_NUMBER, "10.0.0.9")
    for n in range(MAX_FAILURES_PER_CODE):  # someone who has the code guesses the identity, address by address
        with pytest.raises(QueryRefused):
            open_with_query_code(hall.ctx, code, f"1390000000{n}", f"10.0.1.{n}")
    with pytest.raises(TooManyQueryAttempts):
        open_with_query_code(hall.ctx, code, ID_NUMBER, "10.0.2.1")
    hall.clock.advance(minutes=16)
    assert open_with_query_code(hall.ctx, code, ID_NUMBER, "10.0.0.9").case_id == case_id


def test_the_walk_in_applicant_supplements_with_the_query_code(hall: Hall) -> None:
    case_id, code = walk_in_case(hall)
    hall.do(case_id, "rc_check", {"reception_decision": "supplement", "missing_items": "营业执照复印件"})
    grant = open_with_query_code(hall.ctx, code, MOBILE, "10.0.0.1")
    seen = case_projection(hall.ctx, case_id, grant.actor)
    supplement = task_of(hall, case_id, "rc_supplement")
    assert supplement in seen.workable
    tasks.complete_task(hall.ctx, case_id, supplement, {"supplement_files": ["file-202"]}, grant.actor)
    assert hall.open(case_id) == ["rc_check"]
    done = [h for h in hall.history(case_id) if h.event_type == "form_submitted" and h.element_id == "rc_supplement"]
    assert [h.actor_id for h in done] == [grant.party_id]


def test_only_the_applicant_rates_the_service(hall: Hall) -> None:
    case_id, code = walk_in_case(hall)
    hall.do(case_id, "rc_check", {"reception_decision": "accept", "reception_note": "材料齐全"})
    hall.do(case_id, "review", {"review_result": "pass", "review_note": "材料符合要求，现场核查符合",
                                "site_check_result": "conforming", "site_inspectors": "李明、赵强",
                                "site_check_date": "2025-09-26"})
    hall.do(case_id, "approve", {"decision": "grant", "decision_reason": "符合食品经营许可条件，准予许可"})
    hall.do(case_id, "dl_pickup", {"picked_up_by": "王小明", "pickup_id_number": ID_NUMBER})
    rating = task_of(hall, case_id, "dl_rating")
    with pytest.raises(NotAllowed, match="须由申请人本人"):
        tasks.complete_task(hall.ctx, case_id, rating, {"rating": "very_satisfied"}, CLERK)
    assert hall.open(case_id) == ["dl_rating"]
    grant = open_with_query_code(hall.ctx, code, ID_NUMBER, "10.0.0.1")
    view = tasks.complete_task(hall.ctx, case_id, rating, {"rating": "satisfied", "rating_comment": "很快"},
                               grant.actor)
    assert view.status == "completed" and view.data["rating"] == "satisfied"


def test_a_commitment_entered_by_the_clerk_needs_the_signed_paper(hall: Hall) -> None:
    case_id, _code = walk_in_case(hall, "hygiene_licence", {**HYGIENE_APPLICATION, "choose_commitment": "yes"})
    hall.do(case_id, "rc_check", {"reception_decision": "accept"})
    sign = task_of(hall, case_id, "sign_commitment")
    signed = {"commitment_agreed": True, "commitment_signer": "陈立"}
    with pytest.raises(FormDataInvalid) as refused:
        tasks.complete_task(hall.ctx, case_id, sign, signed, CLERK)
    assert refused.value.errors == {"signed_paper_scan": "代申请人录入告知承诺书的，须上传申请人签字的纸质承诺书扫描件"}
    assert hall.open(case_id) == ["sign_commitment"]
    view = tasks.complete_task(hall.ctx, case_id, sign, {**signed, "signed_paper_scan": ["scan-1"]}, CLERK)
    assert view.blzt == 11


def test_the_applicant_signs_the_commitment_online_without_a_scan(hall: Hall) -> None:
    case_id, code = walk_in_case(hall, "hygiene_licence", {**HYGIENE_APPLICATION, "choose_commitment": "yes"})
    hall.do(case_id, "rc_check", {"reception_decision": "accept"})
    grant = open_with_query_code(hall.ctx, code, MOBILE, "10.0.0.1")
    view = tasks.complete_task(hall.ctx, case_id, task_of(hall, case_id, "sign_commitment"),
                               {"commitment_agreed": True, "commitment_signer": "王小明"}, grant.actor)
    assert view.blzt == 11

