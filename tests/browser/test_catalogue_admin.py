"""An administrator adds a new matter to the 事项库 on the admin pages, in a real browser.

``add_matter_on_admin_pages`` is the admin half of the issue's end-to-end journey: the general pattern's
tests continue from the entry it leaves (accepting an application for it at the window and running it
to its certificate).
"""

from __future__ import annotations

from typing import Any

import pytest

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
        admin.get_by_role("link", name="系统管理").click()
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


def test_an_administrator_adds_a_new_matter_on_the_admin_pages(person) -> None:  # type: ignore[no-untyped-def]
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
