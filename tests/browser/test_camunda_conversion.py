"""A Camunda 7 diagram with JUEL conditions and generated forms, split over two files, is imported
in the browser: the preview lists every translation, the designer confirms, and the converted matter
runs to its end through the pages (applicant's generated form, the clerk's review)."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import LiveServer
from tests.browser.conftest import case_number
from tests.browser.conftest import fill_form
from tests.browser.conftest import open_task
from tests.browser.conftest import submit
from tests.conftest import FIXTURES
from tests.readback import get_case

UPLOAD = FIXTURES / "camunda7_juel"
METADATA = {"code": "sign_permit", "name": "临时占道许可", "department": "城市管理局",
            "implementation_code": "11320100MB0000000X4000000000203", "statutory_limit_wd": "20",
            "promised_limit_wd": "5"}


def test_a_camunda_diagram_with_juel_and_generated_forms_is_converted_and_runs(
        person: Any, live_server: LiveServer) -> None:
    page = person("demo_designer")
    page.goto("/designer/import")
    page.set_input_files("#f-files", [str(p) for p in sorted(UPLOAD.iterdir())])
    for key, value in METADATA.items():
        page.fill(f"#f-{key}", value)
    submit(page, 'button[name="action"][value="preview"]')
    rows = page.locator(".import-translations tbody tr")
    texts = [t.replace("\n", " ") for t in rows.all_inner_texts()]
    assert any("Flow_senior" in t and "days > 30 and not urgent" in t for t in texts), texts
    assert any("Task_apply" in t and "生成式表单" in t for t in texts)
    assert any("Task_review" in t and "candidateUsers" in t for t in texts)
    assert page.locator(".form-errors").count() == 0
    submit(page, 'button[name="action"][value="deploy"]')  # the kept files: nothing chosen again
    assert page.url.endswith("/designer/sign_permit"), page.inner_text("main")[:1000]
    assert "已导入并部署“临时占道许可”第 1 版" in page.inner_text(".flash")

    citizen = person("demo_citizen")
    citizen.goto("/matters/sign_permit")
    with citizen.expect_navigation():
        citizen.get_by_role("button", name="在线申报").click()
    form = citizen.locator("section.task-form")
    assert {"主干道", "支路"} <= {o.strip() for o in form.locator('select[name="road_level"] option').all_inner_texts()}
    fill_form(citizen, {"applicant_name": "滨江燃气有限公司", "days": "120", "road_level": "main"})
    assert submit(citizen).status == 422  # the generated form's max (90 days) is enforced by our server
    fill_form(citizen, {"days": "45"})
    submit(citizen)
    assert re.search(r"/cases/\d+$", citizen.url), citizen.inner_text("main")[:1000]
    case_path = citizen.url.removeprefix(live_server.url)
    number = case_number(citizen)

    clerk = person("demo_window")
    open_task(clerk, "/window", "Task_review", number, claim=True)  # 45 days, not urgent: JUEL sent it here
    fill_form(clerk, {"decision": "approve", "review_note": "同意占道"})
    submit(clerk)
    assert "已提交" in clerk.inner_text(".flash")
    view = get_case(live_server.ctx, int(case_path.rsplit("/", 1)[1]))
    assert view.status == "completed" and view.data["permit_no"] == "ZD-" + number[-4:]
