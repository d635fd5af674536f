"""The interface a hall's people use without training (issue #12), driven in Chromium and photographed.

A citizen applies for a food licence from the service guide (sectioned form, Chinese file picker and
dates, an error summary that links to each field, a removable upload), the window asks for 补正 at
reception, and the citizen's case page then names the items, the deadline and a 去补正 button. Every
main page on the way is saved at 1366 and 390 px into ``screenshots/`` (see ``tests/browser/screens.py``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine.policy.projection import masked_case_number
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import fill_form
from tests.browser.conftest import open_task
from tests.browser.conftest import pdf_file
from tests.browser.conftest import submit
from tests.browser.screens import shoot
from tests.browser.test_browser_guards import FOOD_APPLICATION
from tests.browser.test_browser_guards import start_food_case

pytestmark = pytest.mark.browser

#: A one-page PDF pdf.js can draw (the suite's smallest PDF has no page to show).
ONE_PAGE_PDF = b"\n".join((b"%PDF-1.4", b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj",
                            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj",
                            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj",
                            b"trailer<</Root 1 0 R>>", b"%%EOF", b""))
#: What the reception checklist writes for the two materials the clerk marks as not received.
MISSING = ("食品经营许可申请书（原件）", "营业执照复印件（复印件）")


def test_header_names_role_and_department(person) -> None:  # type: ignore[no-untyped-def]
    clerk = person("demo_zj_cb")
    role = clerk.inner_text("header .account [data-role]")
    assert "住房和城乡建设局" in role and "承办" in role
    assert "zj_chengban" not in clerk.inner_text("header")
    citizen = person("demo_citizen")
    assert citizen.inner_text("header .account [data-role]") == "申请人"


def test_guide_puts_online_application_first_and_in_reach_on_a_phone(person) -> None:  # type: ignore[no-untyped-def]
    citizen = person("demo_citizen")
    citizen.goto("/matters/construction_bundle")
    stages = citizen.locator("#guide-steps tbody tr td:first-child").all_inner_texts()
    assert stages == ["申报", "受理", "审查", "决定", "送达"]
    shoot(citizen, "guide-bundle")
    citizen.set_viewport_size({"width": 390, "height": 800})
    citizen.locator("#guide-flow").scroll_into_view_if_needed()
    button = citizen.get_by_role("button", name="在线申报")
    box = button.bounding_box()
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 800  # on screen, however far one reads
    citizen.set_viewport_size({"width": 1366, "height": 900})


def test_apply_form_is_sectioned_and_speaks_chinese(person) -> None:  # type: ignore[no-untyped-def]
    citizen = person("demo_citizen")
    citizen.goto("/matters/food_business")
    shoot(citizen, "guide")
    assert_accessible(citizen, "guide")
    start_food_case(citizen)
    # No English from the browser's own widgets: a Chinese file picker, dates typed as yyyy-mm-dd.
    picker = citizen.locator('.field[data-key="application_files"] .file-pick')
    assert picker.inner_text().split() == ["选择文件", "未选择文件"]
    assert citizen.locator('input[type="date"]').count() == 0
    shoot(citizen, "apply-form")
    assert_accessible(citizen, "apply-form")

    fill_form(citizen, {**FOOD_APPLICATION, "uscc": "91320100MA1M11110B",
                        "application_files": [pdf_file("营业执照.pdf"), pdf_file("平面图.pdf")]})
    assert "已选择 2 个文件：营业执照.pdf、平面图.pdf" in picker.inner_text()
    assert submit(citizen).status == 422
    summary = citizen.locator("#error-summary")
    link = summary.locator('a[data-error-for="uscc"]')
    assert "统一社会信用代码" in link.inner_text()
    shoot(citizen, "apply-errors")
    assert_accessible(citizen, "apply-errors")
    link.click()
    assert citizen.evaluate("() => location.hash") == "#f-uscc"

    # Remove one of the two kept uploads, fix the field, submit: the case keeps only the other file.
    kept = citizen.locator('.field[data-key="application_files"] ul.kept-files li')
    assert kept.count() == 2
    kept.filter(has_text="平面图.pdf").get_by_label("删除此文件").check()
    fill_form(citizen, {"uscc": "91320100MA1M11110A"})
    submit(citizen)
    assert re.search(r"/cases/\d+(#.*)?$", citizen.url), citizen.inner_text("main")[:800]
    panel = citizen.inner_text(".case-panel")
    assert "营业执照.pdf" in panel and "平面图.pdf" not in panel


def test_failed_reception_shows_items_deadline_and_button(person) -> None:  # type: ignore[no-untyped-def]
    citizen = person("demo_citizen")
    start_food_case(citizen)
    fill_form(citizen, {**FOOD_APPLICATION, "application_files": pdf_file("营业执照.pdf", ONE_PAGE_PDF)})
    submit(citizen)
    number = citizen.locator(".case-panel .case-number").first.inner_text().strip()
    assert "申报成功" in citizen.inner_text(".submitted") and number in citizen.inner_text(".submitted")
    shoot(citizen, "case-submitted")
    assert_accessible(citizen, "case-submitted")

    clerk = person("demo_window")
    clerk.goto("/window")
    # The row says whose case and which shop, the matter and the step's department, and no internal code.
    row = clerk.locator(f'#reception tr[data-task="rc_check"][data-case="{number}"]')
    cells = row.inner_text()
    assert "【演示】张三（个人申请人）" in cells and "玄武区小王面馆" in cells and "食品经营许可" in cells, cells
    assert "收件审查" in cells and "综合受理窗口" in cells and "rc_check" not in cells
    shoot(clerk, "window")
    assert_accessible(clerk, "window")
    open_task(clerk, "/window", "rc_check", number)
    # The clerk previews the uploaded PDF beside the form (pdf.js), without downloading it.
    clerk.locator("aside button.preview-link", has_text="预览").first.click()
    clerk.wait_for_selector('aside #preview-pane[data-pages="1"] canvas')
    assert "营业执照.pdf" in clerk.inner_text("#preview-pane h2")
    shoot(clerk, "reception-check")
    assert_accessible(clerk, "reception-check")
    # The checklist: 申请书 not received (an original is needed), 营业执照 only as a copy and not received either.
    checklist = clerk.locator(".reception-checklist")
    first = checklist.locator('tr[data-material="食品经营许可申请书"]')
    second = checklist.locator('tr[data-material="营业执照复印件"]')
    first.get_by_label("未收/需补正").check()
    second.get_by_label("未收/需补正").check()
    second.get_by_label("复印件").check()
    assert clerk.input_value("#f-missing_items") == "\n".join(MISSING)
    fill_form(clerk, {"reception_decision": "supplement"})
    submit(clerk)

    citizen.goto("/my/messages")  # 消息中心: the receipt and the 补正 notice, newest first
    notices = citizen.locator(f'li.message[data-case="{number}"]')
    titles = [t.strip() for t in notices.locator("strong").all_inner_texts()]
    assert "收件凭证" in titles and len(titles) >= 3, titles
    assert titles.index("收件凭证") > 0  # a later notice (the 补正 one) is listed above it
    shoot(citizen, "messages")
    assert_accessible(citizen, "messages")

    citizen.goto("/my/cases")
    shoot(citizen, "my-cases")
    assert_accessible(citizen, "my-cases")
    citizen.get_by_role("link", name=number).click()
    todo = citizen.locator(".next-step")
    text = todo.inner_text()
    assert all(item in text for item in MISSING), text
    assert re.search(r"请于 \d{4}-\d{2}-\d{2} 前", text), text
    shoot(citizen, "case-supplement")
    assert_accessible(citizen, "case-supplement")
    with citizen.expect_navigation():
        todo.get_by_role("link", name="去补正").click()
    assert citizen.locator(".requested-items").inner_text().count("营业执照复印件（复印件）") == 1
    shoot(citizen, "supplement-form")
    assert_accessible(citizen, "supplement-form")


def test_task_finished_in_another_tab_says_when_and_by_whom(person) -> None:  # type: ignore[no-untyped-def]
    citizen = person("demo_citizen")
    start_food_case(citizen)
    fill_form(citizen, {**FOOD_APPLICATION, "application_files": pdf_file("营业执照.pdf")})
    submit(citizen)
    number = citizen.locator(".case-panel .case-number").first.inner_text().strip()
    first = person("demo_window")
    path = open_task(first, "/window", "rc_check", number)
    second = first.context.new_page()  # the same clerk, a second tab on the same task
    second.goto(path)
    fill_form(first, {"reception_decision": "accept"})
    submit(first)

    fill_form(second, {"reception_decision": "accept", "reception_note": "原件已核对，复印件留存"})
    response = submit(second)
    assert response.status == 409
    said = second.inner_text(".task-done")
    assert "“收件审查”该环节已于 2025-09-26 10:00 由 【演示】综合受理窗口 王芳 办结" in said, said
    typed = second.inner_text(".typed")
    assert "审查说明" in typed and "原件已核对，复印件留存" in typed, typed  # what was typed is not lost
    shoot(second, "task-done")
    with second.expect_navigation():
        second.get_by_role("link", name="返回办件，查看下一步").click()
    assert second.locator(".case-panel .case-number").first.inner_text().strip() == number


def test_statistics_chart_ratings_by_department_and_download(person) -> None:  # type: ignore[no-untyped-def]
    """A food licence from application to 好差评; the statistics then chart it and the CSV carries the rating."""
    citizen = person("demo_citizen")
    start_food_case(citizen)
    fill_form(citizen, {**FOOD_APPLICATION, "application_files": pdf_file("营业执照.pdf")})
    submit(citizen)
    number = citizen.locator(".case-panel .case-number").first.inner_text().strip()
    steps = (("demo_window", "/window", "rc_check", {"reception_decision": "accept"}),
             ("demo_scjg_review", "/work", "review", {"review_result": "pass", "site_check_result": "not_required",
                                                    "review_note": "材料齐全，符合条件"}),
             ("demo_scjg_chief", "/work", "approve", {"decision": "grant", "decision_reason": "符合食品经营许可条件"}),
             ("demo_window", "/window", "dl_pickup",
              {"picked_up_by": "王小明", "pickup_id_number": "11010519491231002X"}))
    for username, queue, element_id, values in steps:
        staff = person(username)
        open_task(staff, queue, element_id, number, claim=queue == "/work")
        fill_form(staff, values)
        assert submit(staff).status == 200, staff.inner_text("main")[:800]
    citizen.reload()
    assert [s.get_attribute("class") for s in citizen.locator('[data-progress="case"] li').all()][:4] == ["done"] * 4
    with citizen.expect_navigation():
        citizen.get_by_role("link", name="办理：好差评").click()
    fill_form(citizen, {"rating": "satisfied"})
    submit(citizen)
    shoot(citizen, "case-finished")

    case_path = citizen.url.split("#")[0].removeprefix(citizen.url.split("/cases/")[0])

    # The auditor reads the case in tabs; what each step changed is a table, not two JSON dumps.
    auditor = person("demo_auditor")
    auditor.goto("/audit" + case_path)
    assert auditor.locator("#panel-timeline").is_visible() and auditor.locator("#panel-diagram").is_hidden()
    auditor.get_by_role("tab", name="回放").click()
    auditor.wait_for_selector("#audit-diagram .djs-element.audit-done")
    assert auditor.locator("#panel-replay").is_visible() and auditor.locator("#panel-timeline").is_hidden()
    shoot(auditor, "audit-replay")
    assert_accessible(auditor, "audit-replay")
    auditor.get_by_role("tab", name="校验").click()
    assert "完整" in auditor.inner_text("#panel-verify")
    auditor.get_by_role("tab", name="数据差异").click()
    changed = auditor.locator("table.data-diff tr", has_text="review_result")
    assert changed.count() == 1
    assert changed.locator("td.new").inner_text() == "pass" and "新增" in changed.inner_text()
    shoot(auditor, "audit-diff")
    assert_accessible(auditor, "audit-diff")
    auditor.get_by_role("tab", name="时间线").click()
    assert auditor.locator("#panel-timeline").is_visible() and auditor.locator("#panel-diff").is_hidden()

    supervisor = person("demo_supervisor")
    supervisor.goto("/stats")
    row = supervisor.locator('#by-department tr[data-row="市场监督管理局"]')
    assert int(row.locator('td[data-label="评价数"]').inner_text()) >= 1
    assert row.locator(".good-rate").inner_text().endswith("%")
    for chart in ("matters", "departments", "months"):
        assert supervisor.locator(f"#chart-{chart} svg").count() == 1, chart  # drawn by ECharts
    shoot(supervisor, "stats")
    assert_accessible(supervisor, "stats")
    download = supervisor.request.get("/stats?format=csv")
    assert download.headers["content-type"].startswith("text/csv")
    text = download.body().decode("utf-8-sig")
    assert text.splitlines()[0] == "分组,名称,办件总数,在办,办结,按时办结率,在办超期,评价数,好评率"
    assert any(line.startswith("部门,市场监督管理局,") for line in text.splitlines()), text


def test_designer_speaks_chinese_and_names_the_matter(person) -> None:  # type: ignore[no-untyped-def]
    designer = person("demo_designer")
    designer.goto("/designer/food_business")
    designer.wait_for_selector("#designer[data-ready=true]")
    assert designer.title().startswith("设计：食品经营许可") and "食品经营许可" in designer.inner_text("h1")
    designer.wait_for_selector(".djs-palette .entry")
    titles = designer.eval_on_selector_all(".djs-palette .entry", "els => els.map(e => e.getAttribute('aria-label'))")
    assert "创建任务" in titles, titles
    designer.click('.djs-element[data-element-id="review"]')
    designer.wait_for_selector('[data-group-id="group-CamundaPlatform__UserAssignment"]')
    panel = designer.inner_text("#designer-properties")
    assert "常规" in panel and "办理人分配" in panel, panel[:400]
    assert "General" not in panel and "User assignment" not in panel
    designer.click('[data-group-id="group-CamundaPlatform__UserAssignment"] .bio-properties-panel-group-header')
    assert "候选岗位（组）" in designer.inner_text("#designer-properties")
    shoot(designer, "designer")


def _staff_pages(page: Any, pages: dict[str, str]) -> None:
    for name, path in pages.items():
        assert page.goto(path).status == 200, path
        shoot(page, name)
        assert_accessible(page, name)


def test_department_row_counts_working_days_left(person, new_page) -> None:  # type: ignore[no-untyped-def]
    citizen = person("demo_citizen")
    start_food_case(citizen)
    fill_form(citizen, {**FOOD_APPLICATION, "application_files": pdf_file("营业执照.pdf")})
    submit(citizen)
    number = citizen.locator(".case-panel .case-number").first.inner_text().strip()
    clerk = person("demo_window")
    open_task(clerk, "/window", "rc_check", number)
    fill_form(clerk, {"reception_decision": "accept"})
    submit(clerk)

    reviewer = person("demo_scjg_review")
    reviewer.goto("/work")
    row = reviewer.locator(f'#queue tr[data-task="review"][data-case="{number}"]')
    cells = row.inner_text()
    # Accepted Friday 2025-09-26, promised in 5 working days: 09-28 (a make-up Sunday), 09-29, 09-30, then
    # the National Day holiday, 10-09 and 10-10.
    assert "市场监管局审查员" in cells and "玄武区小王面馆" in cells and "scjg_review" not in cells, cells
    assert row.locator(".due").get_attribute("title") == "期限 2025-10-10", cells
    assert re.search(r"\b5 个工作日", cells), cells
    # The queue filters as one types.
    reviewer.fill("#filter-queue", "没有这个申请人")
    assert row.is_hidden()
    reviewer.fill("#filter-queue", "小王面馆")
    assert row.is_visible()

    # The public board counts today's acceptance and lists the case, masked; an unsent application is not on it.
    draft = person("demo_citizen")
    start_food_case(draft)
    unsent = draft.locator(".case-panel .case-number").first.inner_text().strip()
    board = new_page()
    board.goto("/board")
    assert board.locator("header.top").count() == 0  # no site navigation on the hall's screen
    assert int(board.inner_text('[data-figure="accepted"]')) >= 1
    text = board.inner_text("main")
    assert masked_case_number(number) in text and masked_case_number(unsent) not in text
    assert "2025/9/26" in board.inner_text("#board-clock")  # the hall's (server's) time, ticking
    shoot(board, "board")
    assert_accessible(board, "board")


def test_staff_pages_photographed(person) -> None:  # type: ignore[no-untyped-def]
    _staff_pages(person("demo_scjg_review"), {"worklist": "/work", "cases": "/cases"})
    _staff_pages(person("demo_supervisor"), {"stats": "/stats"})


def test_account_page_keeps_the_notice_address(person) -> None:  # type: ignore[no-untyped-def]
    citizen = person("demo_enterprise")
    citizen.locator('header .who[data-user="demo_enterprise"]').click()  # one's name in the header opens it
    citizen.wait_for_url("**/account")
    citizen.fill("#f-email", "不是邮箱")
    citizen.get_by_role("button", name="保存").click()
    assert "电子邮箱格式不正确" in citizen.inner_text("#account-form")
    shoot(citizen, "account")
    assert_accessible(citizen, "account")
    citizen.fill("#f-email", "qiye@example.cn")
    citizen.get_by_role("button", name="保存").click()
    assert "已保存电子邮箱" in citizen.inner_text("main") and citizen.input_value("#f-email") == "qiye@example.cn"
