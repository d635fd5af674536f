"""Documents print as A4 PDF through Chromium, with the tracker's dates, the deciding organ and its seal.

A food licence case is accepted and then refused (through the engine, like a hall would); the applicant
opens the 受理通知书 and the 不予行政许可决定书 in the browser, which prints each to PDF. The PDF is one
A4 page, the dates printed are the stored deadline record's, and the decision shows the organ's demo
seal (marked 演示) and the remedies with its 复议机关 and court.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine.decision_rules import provision_lists
from engine.documents import chinese_date
from engine.services import cases
from engine.services import tasks
from engine.services.accounts import actor_for
from engine.services.deadline_views import case_legal_time
from engine.services.deadlines import case_deadlines
from tests.browser.conftest import LiveServer
from tests.readback import get_case

pytestmark = pytest.mark.browser

APPLICATION = {
    "operator_name": "鼓楼区打印面馆", "uscc": "91320100MA1M11110A", "legal_representative": "王小明",
    "premises_address": "南京市鼓楼区中山北路1号", "business_items": ["hot_food"],
    "premises_area_m2": 60, "contact_mobile": "13800138000", "delivery_method": "window",
}
#: A4 in PostScript points (210 × 297 mm).
A4 = (595.3, 841.9)


def _do(server: LiveServer, case_id: int, element_id: str, username: str, values: dict[str, Any]) -> None:
    task = next(t for t in get_case(server.ctx, case_id, with_data=False).open_tasks if t.element_id == element_id)
    actor = actor_for(server.ctx, username)
    assert actor is not None
    tasks.complete_task(server.ctx, case_id, task.task_uuid, values, actor)


def _refused_food_case(server: LiveServer) -> int:
    citizen = actor_for(server.ctx, "demo_citizen")
    assert citizen is not None
    case = cases.start_case(server.ctx, "food_business", citizen, {})
    _do(server, case.id, "apply", "demo_citizen", APPLICATION)
    _do(server, case.id, "rc_check", "demo_window", {"reception_decision": "accept", "reception_note": "材料齐全"})
    _do(server, case.id, "review", "demo_scjg_review", {"review_result": "fail", "site_check_result": "not_conforming",
                                                         "review_note": "经营场所距污染源不足25米"})
    with server.ctx.uow() as uow:
        _record, compiled = server.ctx.latest_definition(uow, "food_business")
    _do(server, case.id, "approve", "demo_scjg_chief", {
        "decision": "deny", "decision_reason": "经营场所距旱厕等污染源不足25米，无法消除污染",
        "decision_provision": provision_lists(compiled.metadata)["refusal_provisions"][0]})
    return case.id


def _pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) in points of every page of a PDF Chromium printed."""
    assert pdf.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return [(float(w), float(h)) for w, h in boxes]


def _print(page: Any) -> list[tuple[float, float]]:
    pages = _pdf_pages(page.pdf(format="A4", print_background=True, prefer_css_page_size=True))
    assert pages and all(abs(w - A4[0]) < 2 and abs(h - A4[1]) < 2 for w, h in pages), pages
    return pages


def test_notices_and_decisions_print_on_a4_with_the_trackers_dates(  # type: ignore[no-untyped-def]
        person, live_server: LiveServer) -> None:
    case_id = _refused_food_case(live_server)
    record = case_deadlines(live_server.ctx, case_id)
    assert record is not None
    documents = {d.doc_key: d for d in cases.case_documents(live_server.ctx, case_id)}
    citizen = person("demo_citizen")

    citizen.goto(f"/cases/{case_id}/documents/{documents['acceptance_notice'].id}")
    text = citizen.inner_text("body")
    for day in (record.accepted_on, record.promised_due, record.statutory_due):
        assert chinese_date(day) in text
    assert len(_print(citizen)) == 1

    citizen.goto(f"/cases/{case_id}/documents/{documents['denial_decision'].id}")
    text = citizen.inner_text("body")
    assert f"本机关于 {chinese_date(record.accepted_on)} 依法受理" in text
    assert "临江县市场监督管理局" in citizen.inner_text(".signature") and "演示印章" in text
    assert "六十日内向临江县人民政府申请行政复议" in text and "临江县人民法院" in text
    assert citizen.evaluate("document.querySelector('img.seal-image').naturalWidth") > 0  # the seal renders
    assert len(_print(citizen)) == 1


def test_a_review_supplement_notice_prints_on_a4_with_the_stored_reply_deadline(  # type: ignore[no-untyped-def]
        person, live_server: LiveServer) -> None:
    """The 补正通知书 of a review 补正 prints the reply deadline the stored record keeps for the pause."""
    citizen_actor = actor_for(live_server.ctx, "demo_citizen")
    assert citizen_actor is not None
    case = cases.start_case(live_server.ctx, "food_business", citizen_actor, {})
    _do(live_server, case.id, "apply", "demo_citizen", APPLICATION)
    _do(live_server, case.id, "rc_check", "demo_window", {"reception_decision": "accept", "reception_note": "材料齐全"})
    _do(live_server, case.id, "review", "demo_scjg_review", {
        "review_result": "supplement", "review_note": "布局图与现场不一致",
        "review_missing_items": "与现场一致的设备设施布局图"})
    staff = actor_for(live_server.ctx, "demo_scjg_review")
    assert staff is not None
    [record] = [r for r in case_legal_time(live_server.ctx, case.id, staff).records if not r.permit]
    reply_by = record.pauses[-1].until
    assert reply_by is not None and record.pauses[-1].kind == "supplement"
    [notice] = [d for d in cases.case_documents(live_server.ctx, case.id) if d.doc_key == "supplement_notice"]
    citizen = person("demo_citizen")
    citizen.goto(f"/cases/{case.id}/documents/{notice.id}")
    text = citizen.inner_text("body")
    assert f"请于 {chinese_date(reply_by)} 前补正" in text and "与现场一致的设备设施布局图" in text
    assert "临江县市场监督管理局" in citizen.inner_text(".signature")
    # One sheet, signature and seal included: a notice served by post must not lose its second page.
    assert len(_print(citizen)) == 1, "the 补正通知书 prints on one A4 page"
