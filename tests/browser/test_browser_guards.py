"""What protects a person in the browser: field errors in Chinese with values kept, other people's cases
hidden, CSRF refusal, and a service guide that draws its diagram without leaving the machine."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import case_number
from tests.browser.conftest import fill_form
from tests.browser.conftest import pdf_file
from tests.browser.conftest import submit

pytestmark = pytest.mark.browser

FOOD_APPLICATION = {
    "operator_name": "玄武区小王面馆", "uscc": "91320100MA1M11110A", "legal_representative": "王小明",
    "premises_address": "南京市玄武区中山路1号", "business_items": ["hot_food", "cold_food"],
    "premises_area_m2": "80", "contact_mobile": "13800138000", "delivery_method": "window",
}


def start_food_case(page: Any) -> str:
    """Press 在线申报 on the food licence guide; return the path of the application form."""
    page.goto("/matters/food_business")
    with page.expect_navigation():
        page.get_by_role("button", name="在线申报").click()
    path = urlsplit(page.url).path
    assert re.fullmatch(r"/cases/\d+/tasks/[^/]+", path), page.url
    return path


def my_case_count(page: Any) -> int:
    page.goto("/my/cases")
    return page.locator("tr[data-case]").count()


def test_field_errors_in_chinese_and_values_kept(person) -> None:  # type: ignore[no-untyped-def]
    citizen = person("demo_citizen")
    start_food_case(citizen)
    fill_form(citizen, {**FOOD_APPLICATION, "uscc": "91320100MA1M11110B", "contact_mobile": "123",
                        "application_files": pdf_file("营业执照.pdf")})
    response = submit(citizen)
    assert response.status == 422

    assert "表单填写有误，共 2 处" in citizen.inner_text(".form-errors")
    uscc = citizen.locator('.field[data-key="uscc"]')
    assert uscc.locator(".field-error").inner_text() == "统一社会信用代码格式或校验位不正确"
    assert uscc.locator("input").get_attribute("aria-invalid") == "true"
    assert "手机号码格式不正确" in citizen.locator('.field[data-key="contact_mobile"] .field-error').inner_text()
    assert citizen.locator('.field[data-key="operator_name"] .field-error').count() == 0
    # What the person typed, ticked and uploaded is still there.
    assert citizen.input_value("#f-uscc") == "91320100MA1M11110B"
    assert citizen.input_value("#f-operator_name") == "玄武区小王面馆"
    assert citizen.input_value("#f-premises_area_m2") == "80"
    assert citizen.is_checked('input[name="business_items"][value="hot_food"]')
    assert not citizen.is_checked('input[name="business_items"][value="bulk"]')
    assert citizen.is_checked('input[name="delivery_method"][value="window"]')
    assert "已上传：营业执照.pdf" in citizen.inner_text('.field[data-key="application_files"]')

    # Correcting only the two fields is enough: the upload was kept.
    fill_form(citizen, {"uscc": "91320100MA1M11110A", "contact_mobile": "13800138000"})
    submit(citizen)
    assert re.search(r"/cases/\d+$", citizen.url), citizen.inner_text("main")[:1000]
    assert "营业执照.pdf" in citizen.inner_text(".case-panel")


def test_another_applicants_case_is_not_found(person) -> None:  # type: ignore[no-untyped-def]
    owner = person("demo_citizen")
    task_path = start_food_case(owner)
    case_path = task_path.split("/tasks/")[0]
    fill_form(owner, FOOD_APPLICATION)  # sent: a numbered case (a draft has no number to leak)
    submit(owner)
    owner.goto(case_path)
    number = case_number(owner)

    stranger = person("demo_enterprise2")
    for path in (case_path, task_path):
        response = stranger.goto(path)
        assert response.status == 404, path
        assert stranger.inner_text("main h1") == "404"
        assert number not in stranger.content()
    # The same page as for a case that does not exist: case ids cannot be probed.
    missing = stranger.goto("/cases/987654")
    assert missing.status == 404 and stranger.inner_text("main h1") == "404"


def test_post_without_csrf_token_is_refused(person) -> None:  # type: ignore[no-untyped-def]
    citizen = person("demo_citizen")
    task_path = start_food_case(citizen)
    before = my_case_count(citizen)

    # A request with the session cookie but no token (what a forged cross-site form sends).
    refused = citizen.request.post("/matters/food_business/apply", form={"matter": "food_business"})
    assert refused.status == 400 and "CSRF 校验失败" in refused.text()
    refused = citizen.request.post(task_path, form={**{k: v for k, v in FOOD_APPLICATION.items()
                                                       if isinstance(v, str)}, "action": "submit",
                                                    "csrf_token": "forged"})
    assert refused.status == 400

    # A hand-made form on the app's own page, submitted by the browser without the token.
    citizen.goto("/my/cases")
    citizen.evaluate("""() => {
        const f = document.createElement('form');
        f.method = 'post'; f.action = '/matters/food_business/apply';
        document.body.appendChild(f);
        f.submit();
    }""")
    citizen.wait_for_url("**/matters/food_business/apply")
    assert citizen.inner_text("main h1") == "400" and "CSRF 校验失败" in citizen.inner_text("main")

    # Nothing changed: no new case, and the application form is still waiting, unsubmitted.
    assert my_case_count(citizen) == before
    response = citizen.goto(task_path)
    assert response.status == 200 and citizen.input_value("#f-operator_name") == ""


def test_service_guide_draws_the_diagram_locally(new_page) -> None:  # type: ignore[no-untyped-def]
    page = new_page()  # signed out: the guide is public
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/matters/construction_bundle")
    svg = page.locator("#diagram svg").first
    svg.wait_for(state="visible")
    assert page.locator("#diagram .djs-element").count() > 20  # tasks, gateways, flows of the bundle
    assert "住建局施工许可科" in page.inner_text("#diagram")  # a lane label, drawn by bpmn-js
    assert errors == []
    assert any("/static/vendor/bpmn-js/" in url for url in requests)
    assert any(url.endswith("/matters/construction_bundle/diagram.bpmn") for url in requests)
    outside = [url for url in requests if urlsplit(url).scheme not in ("data", "blob")
               and urlsplit(url).hostname != "127.0.0.1"]
    assert outside == []
