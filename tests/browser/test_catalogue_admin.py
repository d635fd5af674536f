"""The issue's end-to-end journey in a real browser: an administrator adds a new matter to the 事项库 on
the admin pages; within the same minute a window clerk finds it in the matter picker by its pinyin
initials and accepts an application for it; the general pattern offers it to the entry's 交通运输局 posts
(承办 → 审核 → 批准), and it ends in a 道路运输经营许可证 signed by 临江县交通运输局 with the entry's limits.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from tests.browser.conftest import case_number
from tests.browser.conftest import document_titles
from tests.browser.conftest import fill_form
from tests.browser.conftest import open_task
from tests.browser.conftest import pdf_file
from tests.browser.conftest import submit

pytestmark = pytest.mark.browser

#: What the administrator types and picks (organ, department and posts by their labels on the form).
NEW_MATTER: dict[str, str] = {
    "code": "jt_browser_freight", "name": "道路货物运输经营许可（浏览器测试）", "basic_code": "000112199000",
    "implementation_code": "11320100MB1958369K4000112199000",
    "legal_basis": "《中华人民共和国道路运输条例》第二十一条、第二十四条",
    "statutory_limit_wd": "20", "promised_limit_wd": "5", "result_name": "道路运输经营许可证",
    "materials": "道路货物运输经营申请表\n营业执照｜申请人自备｜电子｜1｜按需\n"
                 "车辆行驶证｜政府部门核发｜电子｜1｜可容缺",
    "consult_phone": "0000-6010111",
}
CHOICES: dict[str, str] = {
    "organ_code": "临江县交通运输局", "department_code": "运输管理科", "chengban_post": "交通运输局承办（jt_chengban）",
    "shenhe_post": "交通运输局审核（jt_shenhe）", "pizhun_post": "交通运输局批准（jt_pizhun）",
    "fzr_post": "交通运输局负责人（jt_fzr）",
}


def add_matter_on_admin_pages(admin: Any, values: dict[str, str], choices: dict[str, str]) -> Any:
    """From the menu: 系统管理 → 事项库 → 新增事项, fill the form, save; returns the response of the save."""
    admin.goto("/")
    with admin.expect_navigation():
        admin.get_by_role("link", name="系统管理", exact=True).click()
    with admin.expect_navigation():
        admin.get_by_role("link", name="事项库", exact=True).click()
    with admin.expect_navigation():
        admin.get_by_role("link", name="新增事项").click()
    form = admin.locator("form.catalogue-entry")
    for key, value in values.items():
        form.locator(f'[name="{key}"]').fill(value)
    for key, label in choices.items():
        form.locator(f'select[name="{key}"]').select_option(label=label)
    with admin.expect_navigation() as saved:
        form.get_by_role("button", name="新增事项").click()
    return saved.value


def test_an_administrator_adds_a_new_matter_and_the_window_runs_it_to_a_certificate(  # type: ignore[no-untyped-def]
        person, live_server) -> None:
    admin = person("demo_admin")
    # A mistake first: the promise exceeds the statutory limit. Refused in Chinese, nothing lost.
    refused = add_matter_on_admin_pages(admin, {**NEW_MATTER, "promised_limit_wd": "25"}, CHOICES)
    assert refused.status == 422
    assert "承诺办结时限不能超过法定办结时限" in admin.inner_text('.field[data-key="promised_limit_wd"] .field-error')
    assert admin.input_value("#f-name") == NEW_MATTER["name"]
    assert admin.input_value("#f-materials") == NEW_MATTER["materials"]
    assert admin.locator("#f-organ_code option:checked").inner_text() == "临江县交通运输局"

    admin.fill("#f-promised_limit_wd", "5")
    with admin.expect_navigation() as saved:
        admin.get_by_role("button", name="新增事项").click()
    assert saved.value.status == 200
    assert admin.url.endswith("/admin/catalogue/jt_browser_freight")
    assert "已新增事项“道路货物运输经营许可（浏览器测试）”（jt_browser_freight），第 1 版" in admin.inner_text(".flash")
    assert admin.input_value("#f-process") == "general_permit"  # no diagram of its own: the pattern runs it

    admin.goto("/admin/catalogue?q=浏览器测试")
    row = admin.locator('tr[data-code="jt_browser_freight"]')
    assert "20 / 5 个工作日" in row.inner_text() and "第 1 版" in row.inner_text()
    admin.goto("/admin/log?area=catalogue")
    assert admin.locator('tr[data-subject="entry:jt_browser_freight"][data-event="entry_created"]').count() == 1

    # -- the same minute, at the window: find it by pinyin initials, file it for a walk-in applicant -----------
    started = live_server.clock.now()
    clerk = person("demo_window")
    clerk.goto("/window")
    clerk.fill("#q", "dlhwysjy")  # 道路货物运输经营
    with clerk.expect_navigation():
        clerk.get_by_role("button", name="查找").click()
    clerk.select_option("#walk-matter", "jt_browser_freight")
    clerk.fill("#walk_in_name", "临江县顺达物流有限公司")
    clerk.select_option("#walk_in_id_type", "resident_id")  # the walk-in applicant is a party: identity first
    clerk.fill("#walk_in_id_number", "11010519491231002X")
    clerk.fill("#walk_in_mobile", "13800138000")
    with clerk.expect_navigation():
        clerk.get_by_role("button", name="开始录入").click()
    assert clerk.locator("h1").inner_text().startswith("填写申请")
    assert "道路货物运输经营许可（浏览器测试）" in clerk.locator("h1").inner_text()
    uploads = clerk.locator('section.task-form .field-filepicker label:not(.file-pick):not(.remove)').all_inner_texts()
    assert [u.strip() for u in uploads] == ["道路货物运输经营申请表", "营业执照", "车辆行驶证"]  # one per material
    fill_form(clerk, {"applicant_name": "临江县顺达物流有限公司", "applicant_id_number": "91320100MA1M11110A",
                      "applicant_address": "临江县临江大道 8 号", "contact_mobile": "13800138000",
                      "application_content": "道路普通货物运输，车辆 5 辆", "material_01": pdf_file("申请表.pdf"),
                      "delivery_method": "window"})
    assert submit(clerk).status == 200
    case_id = re.search(r"/cases/(\d+)", clerk.url)[1]  # on to the 收件审查, the clerk's next step
    clerk.goto(f"/cases/{case_id}")
    number = case_number(clerk)  # numbered on submission (a draft has none), under the entry's 实施编码
    assert number.startswith(NEW_MATTER["implementation_code"])
    open_task(clerk, "/window", "rc_check", number, claim=True)
    fill_form(clerk, {"reception_decision": "accept"})
    submit(clerk)
    assert live_server.clock.now() - started < timedelta(minutes=1)  # the clock stands still: same minute

    # -- the entry's posts, each on its own worklist ------------------------------------------------------
    for username, element_id, values in (
            ("demo_jt_chengban", "chengban", {"review_result": "pass", "chengban_opinion": "材料齐全，符合条件"}),
            ("demo_jt_shenhe", "shenhe", {"shenhe_result": "agree", "shenhe_opinion": "同意"}),
            ("demo_jt_pizhun", "pizhun", {"decision": "grant", "decision_reason": "符合法定条件，准予许可",
                                          "permit_scope": "道路普通货物运输"})):
        officer = person(username)
        open_task(officer, "/work", element_id, number, claim=True)
        fill_form(officer, values)
        assert submit(officer).status == 200, username
    open_task(clerk, "/window", "dl_pickup", number, claim=True)
    fill_form(clerk, {"picked_up_by": "张顺达", "pickup_id_number": "11010519491231002X"})
    submit(clerk)

    # -- the certificate: the entry's 结果名称, signed by its 实施主体; the notice prints the entry's limits --
    links = {a.inner_text().strip(): a.get_attribute("href")
             for a in clerk.locator(".case-panel ul.documents li a").all()}
    assert document_titles(clerk) == ["收件凭证", "受理通知书", "道路运输经营许可证"]
    clerk.goto(links["道路运输经营许可证"])
    certificate = clerk.inner_text("body")
    assert "临江县交通运输局" in clerk.inner_text(".signature")
    assert "道路货物运输经营许可（浏览器测试）" in certificate and "道路普通货物运输" in certificate
    assert "临江县顺达物流有限公司" in certificate
    clerk.goto(links["受理通知书"])
    notice = clerk.inner_text("body")
    assert re.search(r"承诺办结日期\s*2025年10月\d+日（5 个工作日）", notice), notice
    assert "（20 个工作日）" in notice
