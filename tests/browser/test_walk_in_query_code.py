"""A walk-in applicant, without an account, supplements and rates their case with the 查询码 on their receipt.

The clerk files at the counter with the applicant's identity; the receipt prints the 查询码. In a
browser of their own the applicant opens 办件查询 with it and their mobile, supplies what the 补正
notice asks for and, once the licence is picked up, rates the service; the clerk's attempt to rate
for them is refused by the server.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from engine.actors import Actor
from engine.services import tasks
from tests.browser.conftest import case_number
from tests.browser.conftest import fill_form
from tests.browser.conftest import open_task
from tests.browser.conftest import pdf_file
from tests.browser.conftest import submit
from tests.browser.test_browser_guards import FOOD_APPLICATION
from tests.readback import get_case

pytestmark = pytest.mark.browser

MOBILE = "13800138000"


def _file_at_the_counter(clerk: Any) -> tuple[int, str, str]:
    """The clerk enters 王小明's application; (case id, 办件编号, the 查询码 printed on the 收件凭证)."""
    clerk.goto("/window")
    clerk.select_option("#walk-matter", "food_business")
    clerk.fill("#walk_in_name", "王小明")
    clerk.select_option("#walk_in_id_type", "resident_id")
    clerk.fill("#walk_in_id_number", "11010519491231002X")
    clerk.fill("#walk_in_mobile", MOBILE)
    with clerk.expect_navigation():
        clerk.get_by_role("button", name="开始录入").click()
    assert re.fullmatch(r"/cases/\d+/tasks/[^/]+", urlsplit(clerk.url).path), clerk.inner_text("main")[:500]
    fill_form(clerk, FOOD_APPLICATION)
    submit(clerk)
    case_id = int(re.search(r"/cases/(\d+)", clerk.url)[1])  # on to the 收件审查, the clerk's next step
    clerk.goto(f"/cases/{case_id}")
    number = case_number(clerk)
    receipt = clerk.locator(".case-panel ul.documents a", has_text="收件凭证").get_attribute("href")
    clerk.goto(receipt)
    code = clerk.locator("[data-query-code]").get_attribute("data-query-code")
    assert re.fullmatch(r"[0-9A-Z]{10}", code or ""), clerk.content()[:500]
    return case_id, number, code


def test_a_walk_in_applicant_supplements_and_rates_with_the_query_code(person, new_page, live_server) -> None:  # type: ignore[no-untyped-def]
    clerk = person("demo_window")
    case_id, number, code = _file_at_the_counter(clerk)
    open_task(clerk, "/window", "rc_check", number)
    fill_form(clerk, {"reception_decision": "supplement", "missing_items": "营业执照复印件"})
    submit(clerk)

    applicant = new_page()  # no account, no sign-in
    applicant.goto("/query")
    applicant.fill("#query_code", code.lower())
    applicant.fill("#identity", MOBILE)
    submit(applicant, "#query-lookup button[type=submit]")
    assert urlsplit(applicant.url).path == "/query/case", applicant.inner_text("main")[:500]
    assert "补正材料通知书" in applicant.inner_text(".case-panel")
    with applicant.expect_navigation():
        applicant.get_by_role("link", name="办理：补正材料").click()
    assert "营业执照复印件" in applicant.inner_text(".requested-items")
    fill_form(applicant, {"supplement_files": pdf_file("营业执照复印件.pdf")})
    submit(applicant)
    assert urlsplit(applicant.url).path == "/query/case" and "已提交" in applicant.inner_text(".flash")

    # The window accepts it, the department grants it and the applicant picks it up (the engine plays them).
    ctx = live_server.ctx
    steps = (("rc_check", "window_clerk", {"reception_decision": "accept", "reception_note": "材料齐全"}),
             ("review", "scjg_review", {"review_result": "pass", "review_note": "材料符合要求，现场核查符合",
                                        "site_check_result": "conforming", "site_inspectors": "李明、赵强",
                                        "site_check_date": "2025-09-26"}),
             ("approve", "scjg_chief", {"decision": "grant", "decision_reason": "符合食品经营许可条件，准予许可"}),
             ("dl_pickup", "window_clerk", {"picked_up_by": "王小明", "pickup_id_number": "11010519491231002X"}))
    for element, group, values in steps:
        task = next(t for t in get_case(ctx, case_id, with_data=False).open_tasks if t.element_id == element)
        tasks.complete_task(ctx, case_id, task.task_uuid, values, Actor(f"u_{group}", groups=frozenset({group})))

    # The clerk who filed the case cannot rate it for the applicant.
    rating = next(t for t in get_case(ctx, case_id, with_data=False).open_tasks if t.element_id == "dl_rating")
    clerk.goto(f"/cases/{case_id}/tasks/{rating.task_uuid}")
    fill_form(clerk, {"rating": "very_satisfied"})
    refused = submit(clerk)
    assert refused.status == 403 and "须由申请人本人" in clerk.inner_text("main")

    applicant.goto("/query/case")
    with applicant.expect_navigation():
        applicant.get_by_role("link", name="办理：好差评").click()
    fill_form(applicant, {"rating": "satisfied", "rating_comment": "窗口代录，网上补正，很方便"})
    submit(applicant)
    assert "“好差评”已提交" in applicant.inner_text(".flash")
    done = get_case(ctx, case_id)
    assert done.status == "completed" and done.data["rating"] == "satisfied"
