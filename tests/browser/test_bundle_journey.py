"""两证打包审 in a real browser: the applicant, the window and two departments, each in their own browser.

demo_enterprise applies from the service guide with one combined form; the window accepts; 住建 (承办 → 审核 →
批准) and 城管 (承办) review in parallel; 城管 asks for 补正, the applicant supplements online while 住建 goes on;
城管 finishes; the window delivers as the delivery sub-process asks; the applicant rates the service.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine.services.cases import case_history
from engine.services.department_data import upsert_department_record
from tests.browser.conftest import case_number
from tests.browser.conftest import document_titles
from tests.browser.conftest import fill_form
from tests.browser.conftest import open_task
from tests.browser.conftest import pdf_file
from tests.browser.conftest import status_text
from tests.browser.conftest import submit

pytestmark = pytest.mark.browser

PROJECT_CODE = "2025-320102-47-01-000777"
REQUIRED_FILES = {
    "file_application_form": "施工许可申请表.pdf", "file_land_use": "不动产权证书.pdf",
    "file_planning_permit": "建设工程规划许可证.pdf", "file_contracts": "施工合同.pdf",
    "file_drawing_review": "施工图审查合格书.pdf", "file_funding_commitment": "资金落实承诺书.pdf",
    "file_quality_safety": "质量终身责任承诺书.pdf", "file_waste_plan": "建筑垃圾处理方案.pdf",
    "file_transport_contract": "运输合同.pdf", "file_disposal_acceptance": "消纳场受纳证明.pdf",
}
# Shared information (建设单位, 信用代码, 地址, 项目...) is asked once for both permits.
SHARED_FIELDS = ("project_code", "project_name", "construction_address", "construction_unit", "credit_code",
                 "legal_representative", "delivery_method")
APPLICATION: dict[str, Any] = {
    "project_code": PROJECT_CODE, "project_name": "滨江花园三期", "construction_address": "南京市玄武区滨江路99号",
    "construction_unit": "南京滨江置业有限公司", "credit_code": "91320102MA1XK2B3QK",
    "legal_representative": "王建国", "project_leader": "李明", "project_leader_mobile": "13912345678",
    "contract_price_wan": "8600.50", "building_area_m2": "45200", "floors_above": 18, "floors_below": 2,
    "structure_type": "frame_shear_wall", "planned_start_date": "2025-10-15",
    "planned_completion_date": "2027-06-30", "contractor": "江苏建工集团有限公司",
    "supervisor_unit": "南京工程监理有限公司", "planning_permit_no": "建字第320102202500777号",
    "drawing_review_cert_no": "SCS-2025-0777", "civil_defense": "not_required",
    "waste_types": ["工程渣土", "工程垃圾"], "waste_volume_m3": "32000", "transport_company": "南京绿源运输有限公司",
    "vehicle_plates": "苏A12345\n苏A23456", "transport_hours": "22:00 至次日 5:00",
    "transport_route": "滨江路—龙蟠路—绕城公路", "disposal_site": "江宁区建筑垃圾消纳场",
    "disposal_start_date": "2025-10-15", "disposal_end_date": "2026-03-31",
    "delivery_method": "ems", "delivery_address": "南京市玄武区滨江路99号 项目部 李明 13912345678",
    **{key: pdf_file(name) for key, name in REQUIRED_FILES.items()},
}
SUPPLEMENT_ITEMS = ("消纳场受纳证明（原件）", "车辆冲洗设施照片")
# What each delivery task of processes/_common/delivery.bpmn asks the window for.
DELIVERY = {
    "dl_pickup": {"picked_up_by": "李明", "pickup_id_number": "11010519491231002X"},
    "dl_ems": {"mailing_address": "南京市玄武区滨江路99号 项目部", "ems_tracking_number": "EA123456789CN"},
}


def review(page: Any, element_id: str, number: str, outcome: str, opinion: str, **extra: str) -> None:
    """A department step: 签收 from the queue, fill 审查结论/意见, submit."""
    prefix = element_id.split("_")[0]
    open_task(page, "/work", element_id, number, claim=True)
    fill_form(page, {f"{prefix}_outcome": outcome, f"{prefix}_opinion": opinion, **extra})
    response = submit(page)
    assert response.status == 200 and "已提交" in page.inner_text(".flash"), page.inner_text("main")[:800]


def has_task(page: Any, queue: str, element_id: str, number: str) -> bool:
    page.goto(queue)
    return page.locator(f'tr[data-task="{element_id}"][data-case="{number}"]').count() == 1


def test_bundle_from_guide_to_rating(person, live_server) -> None:  # type: ignore[no-untyped-def]
    with live_server.ctx.uow() as uow:  # 住建's own foundation-pit record, looked up by the engine
        upsert_department_record(uow, "住建局", "foundation_pit_review", PROJECT_CODE, "passed",
                                 {"certificate_no": "JK-2025-777"}, live_server.clock.now())
        uow.commit()

    # The applicant applies from the service guide: one form for both permits, materials uploaded once.
    applicant = person("demo_enterprise")
    applicant.goto("/matters/construction_bundle")
    assert "两证打包审" in applicant.inner_text("h1")
    with applicant.expect_navigation():
        applicant.get_by_role("button", name="在线申报").click()
    assert "填写一张表单" in applicant.inner_text("h1")
    for key in SHARED_FIELDS:
        assert applicant.locator(f'section.task-form [name="{key}"]').count() in (1, 2), key  # radios: 2 options
    assert applicant.locator('section.task-form input[name="credit_code"]').count() == 1
    fill_form(applicant, APPLICATION)
    submit(applicant)
    assert re.search(r"/cases/\d+$", applicant.url), applicant.inner_text("main")[:1500]
    case_path = applicant.url.removeprefix(live_server.url)
    number = case_number(applicant)
    assert status_text(applicant) == "已接件"
    assert "收件凭证" in document_titles(applicant)
    submission = applicant.inner_text(".case-panel")
    assert "滨江花园三期" in submission and "消纳场受纳证明.pdf" in submission

    # The window: finds it, claims it (首问负责) and accepts it.
    clerk = person("demo_window")
    open_task(clerk, "/window", "rc_check", number, claim=True)
    assert "已签收" in clerk.inner_text(".flash")
    assert "南京滨江置业有限公司" in clerk.inner_text("aside")  # the application beside the reception form
    fill_form(clerk, {"reception_decision": "accept", "reception_note": "材料齐全，予以受理"})
    submit(clerk)
    applicant.goto(case_path)
    assert "受理通知书" in document_titles(applicant)
    # 已受理 (3) is passed straight through: the split starts both departments (8) in the same step.
    assert status_text(applicant) == "部门开始办理"
    facts = applicant.inner_text(".case-panel table.facts")  # each permit keeps its own legal limit
    assert "建筑工程施工许可证核发：承诺 2025-09-30，法定 2025-10-13" in facts
    assert "城市建筑垃圾处置核准：承诺 2025-09-30，法定 2025-10-30" in facts
    # The foundation-pit status was looked up inside 住建, without the applicant or a reviewer.
    case_id = int(case_path.rsplit("/", 1)[1])
    lookups = [h.data_after for h in case_history(live_server.ctx, case_id)
               if h.element_id == "zj_pit_check" and h.to_state == "COMPLETED"]
    assert lookups == [{"pit_review": {"status": "passed", "certificate_no": "JK-2025-777"}}]
    assert applicant.locator(".case-panel .pit-review").count() == 0  # 住建's internal check is not the applicant's

    # 住建 and 城管 review in parallel.
    zj_cb, cg_cb = person("demo_zj_cb"), person("demo_cg_cb")
    assert has_task(zj_cb, "/work", "zj_chengban", number) and has_task(cg_cb, "/work", "cg_chengban", number)
    assert not has_task(zj_cb, "/work", "cg_chengban", number)  # each department sees its own queue only
    zj_cb.goto(case_path)
    assert zj_cb.locator(".case-panel .pit-review").get_attribute("data-status") == "passed"
    review(zj_cb, "zj_chengban", number, "pass", "材料齐全，符合法定条件。")
    review(cg_cb, "cg_chengban", number, "supplement", "消纳场受纳证明为复印件",
           cg_supplement_items="\n".join(SUPPLEMENT_ITEMS))

    # The applicant is told once what to supplement (补正材料通知书). 处置核准 names no legal basis for stopping
    # its clock during a review 补正, so its dates stand (施工许可's 补正 would stop its own clock).
    applicant.goto(case_path)
    assert status_text(applicant) == "补正（开始）"
    assert "补正材料通知书" in document_titles(applicant)
    facts = applicant.inner_text(".case-panel table.facts")
    waste = next(line for line in facts.splitlines() if line.startswith("城市建筑垃圾处置核准："))
    assert waste.startswith("城市建筑垃圾处置核准：承诺 2025-09-30，法定 2025-10-30") and "暂停" not in waste
    construction = next(line for line in facts.splitlines() if line.startswith("建筑工程施工许可证核发："))
    assert "暂停" not in construction  # 住建's clock runs on
    notice_href = applicant.locator(".case-panel ul.documents a", has_text="补正材料通知书").last.get_attribute("href")
    notice = applicant.context.new_page()
    notice.goto(notice_href)
    items = notice.locator("ol.items li").all_inner_texts()
    assert tuple(i.strip() for i in items) == SUPPLEMENT_ITEMS
    notice.close()

    # 住建 is not held up while 城管 waits for the applicant.
    zj_sh, zj_pz = person("demo_zj_sh"), person("demo_zj_pz")
    review(zj_sh, "zj_shenhe", number, "pass", "同意承办意见。")
    assert has_task(zj_pz, "/work", "zj_pizhun", number)
    assert not has_task(cg_cb, "/work", "cg_chengban", number)

    # The applicant supplements online.
    applicant.goto(case_path)
    with applicant.expect_navigation():
        applicant.get_by_role("link", name="办理：补正处置核准材料").click()
    photo = pdf_file("车辆冲洗设施照片.pdf", b"%PDF-1.4\n% photo\n%%EOF\n")
    fill_form(applicant, {"cg_supplement_files": [pdf_file("消纳场受纳证明（原件）.pdf"), photo],
                          "cg_supplement_note": "已补原件和照片"})
    submit(applicant)
    applicant.goto(case_path)
    assert status_text(applicant) == "部门开始办理"  # 补正（结束） recorded; the case is back in the department
    assert has_task(zj_pz, "/work", "zj_pizhun", number)  # still waiting for its 批准

    # 城管 continues from 承办; both departments approve.
    review(cg_cb, "cg_chengban", number, "pass", "补正材料齐全，符合核准条件。")
    review(person("demo_cg_sh"), "cg_shenhe", number, "pass", "同意。")
    review(person("demo_cg_pz"), "cg_pizhun", number, "pass", "准予核准。")
    review(zj_pz, "zj_pizhun", number, "pass", "准予许可。")

    # The window delivers the way the delivery sub-process asks (the applicant chose EMS).
    clerk.goto("/window")
    rows = clerk.locator(f'tr[data-case="{number}"]')
    assert rows.count() == 1, clerk.inner_text("main")[:800]
    element_id = rows.first.get_attribute("data-task")
    assert element_id == "dl_ems"
    open_task(clerk, "/window", element_id, number, claim=True)
    fill_form(clerk, DELIVERY[element_id])
    submit(clerk)

    # The applicant rates the service; the case is closed with both certificates.
    applicant.goto(case_path)
    with applicant.expect_navigation():
        applicant.get_by_role("link", name=re.compile("^办理：")).click()
    fill_form(applicant, {"rating": "very_satisfied", "rating_comment": "一张表单办两证，省时省力"})
    submit(applicant)
    applicant.goto(case_path)
    assert status_text(applicant) == "办结（通过）"
    titles = document_titles(applicant)
    assert "建筑工程施工许可证" in titles and "城市建筑垃圾处置核准文件" in titles
    for title in ("建筑工程施工许可证", "城市建筑垃圾处置核准文件"):
        href = applicant.locator(".case-panel ul.documents a", has_text=title).get_attribute("href")
        certificate = applicant.context.new_page()
        response = certificate.goto(href)
        assert response.status == 200 and len(response.headers["x-document-sha256"]) == 64
        assert "滨江花园三期" in certificate.inner_text("body")
        certificate.close()
    applicant.goto("/my/cases")
    assert "办结（通过）" in applicant.locator(f'tr[data-case="{number}"]').inner_text()
