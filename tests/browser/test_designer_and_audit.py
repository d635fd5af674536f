"""The designer and the auditor in a real browser.

demo_designer edits food_business in the bpmn-js modeler (a problem is marked on its element and deploy is
refused; then a new promised limit and, in the form-js editor, a new field label are deployed: new cases get
them, a case already running keeps its version) and imports the Camunda Modeler fixture bundle, which then
runs to completion through the pages. demo_auditor replays a finished 两证打包审 case with a 补正 round,
sees an edited history row named on /audit/verify, and downloads the XES export that pm4py reads.

Cases the auditor looks at are driven through the engine services (fast); what the tests assert is what the
pages show. The server is shared by the package, so whatever a test changes (a deployed version, a tampered
row) is put back before it ends.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from engine.actors import Actor
from engine.services import design
from engine.services import tasks
from engine.services.accounts import actor_for
from engine.services.cases import case_documents
from engine.services.cases import case_history
from engine.services.cases import start_case
from engine.services.context import EngineContext
from engine.services.deploy import deploy_path
from tests.browser.conftest import LiveServer
from tests.browser.conftest import case_number
from tests.browser.conftest import fill_form
from tests.browser.conftest import open_task
from tests.browser.conftest import status_text
from tests.browser.conftest import submit
from tests.browser.screens import shoot
from tests.readback import get_case

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
BUNDLE_DIR = ROOT / "tests" / "fixtures" / "camunda_bundle"
FOOD = "food_business"
OLD_LABEL = "经营者名称"
NEW_LABEL = "经营者名称（与营业执照一致）"
DESIGNER = Actor("designer", groups=frozenset({"designer"}))


def actor(ctx: EngineContext, username: str) -> Actor:
    found = actor_for(ctx, username)
    assert found is not None, username
    return found


def complete(ctx: EngineContext, case_id: int, element_id: str, username: str, values: dict[str, Any]) -> None:
    """Complete the open task ``element_id`` through the engine services as a demo account."""
    view = get_case(ctx, case_id, with_data=False)
    task = next((t for t in view.open_tasks if t.element_id == element_id), None)
    assert task is not None, f"{element_id} is not open: {[t.element_id for t in view.open_tasks]}"
    tasks.complete_task(ctx, case_id, task.task_uuid, dict(values), actor(ctx, username))


def wait_status(page: Any, selector: str, pattern: str) -> str:
    """Wait until a designer status line (#designer-status, #form-status) matches ``pattern`` or shows an error.

    Saving comes first in 校验 and 部署, so its "草稿已保存" is not yet the outcome."""
    page.wait_for_function("""([s, p]) => {
        const e = document.querySelector(s);
        return new RegExp(p).test(e.textContent) || e.classList.contains('error');
    }""", arg=[selector, pattern])
    return page.inner_text(selector)


def operator_label(page: Any) -> str:
    return page.locator('section.task-form .field[data-key="operator_name"] label').first.inner_text().strip()


# -- the designer: modeler, form editor, deploy ---------------------------------------------------


@pytest.fixture
def food_restored(live_server: LiveServer) -> Iterator[EngineContext]:
    """Leave food_business as shipped for the other tests: no draft, newest version = the shipped files."""
    ctx = live_server.ctx
    before = design.matter_versions(ctx, FOOD).latest.version
    yield ctx
    design.discard_draft(ctx, FOOD, DESIGNER)
    if design.matter_versions(ctx, FOOD).latest.version != before:
        deploy_path(ctx, ctx.settings.processes_dir / FOOD, DESIGNER)


def open_modeler(page: Any, code: str) -> None:
    page.goto(f"/designer/{code}")
    page.wait_for_selector("#designer[data-ready=true]")
    assert page.inner_text("#designer-status") == "流程图已加载"


def test_a_problem_is_marked_on_its_element_and_deploy_is_refused(person, food_restored) -> None:  # type: ignore[no-untyped-def]
    ctx = food_restored
    version = design.matter_versions(ctx, FOOD).latest.version
    page = person("demo_designer")
    page.on("dialog", lambda dialog: dialog.accept())  # the deploy confirmation
    open_modeler(page, FOOD)

    # The designer selects 审查 and clears its candidate group in the properties panel.
    page.click('.djs-element[data-element-id="review"]')
    page.click('[data-group-id="group-CamundaPlatform__UserAssignment"] .bio-properties-panel-group-header')
    groups = page.locator("#bio-properties-panel-candidateGroups")
    assert groups.input_value() == "scjg_review"
    groups.fill("")
    page.wait_for_function("() => document.getElementById('designer-status').textContent === '有未保存的修改'")

    page.click("#designer-validate")
    assert wait_status(page, "#designer-status", "^发现") == "发现 1 个问题"
    problems = page.locator("#designer-problem-list li")
    assert problems.count() == 1
    assert problems.first.get_attribute("data-element") == "review"
    assert problems.first.inner_text().startswith("[review] 人工任务“审查”没有办理角色")
    # On the diagram: the element is outlined and carries a badge with the number of its problems.
    assert "ow-problem" in page.get_attribute('.djs-element[data-element-id="review"]', "class").split()
    assert page.locator(".djs-element.ow-problem").count() == 1
    assert page.locator('.djs-overlays[data-container-id="review"] .ow-problem-badge').inner_text() == "1"

    # Deploying saves the draft, then is refused with the same problem; no new version.
    page.click("#designer-deploy")
    message = wait_status(page, "#designer-status", "^流程定义校验未通过")
    assert message.startswith("流程定义校验未通过，共 1 个问题") and "[review]" in message, message
    assert page.locator("#designer-problem-list li").first.get_attribute("data-element") == "review"
    assert design.matter_versions(ctx, FOOD).latest.version == version
    page.goto("/")
    assert f"v{version}" in page.inner_text(f'tr[data-matter="{FOOD}"]')

    # 丢弃草稿 brings back the deployed diagram, candidate group included.
    open_modeler(page, FOOD)
    with page.expect_navigation():
        page.get_by_role("button", name="丢弃草稿").click()
    assert "草稿已丢弃" in page.inner_text(".flash")
    page.wait_for_selector("#designer[data-ready=true]")
    assert page.get_by_role("button", name="丢弃草稿").count() == 0
    assert "scjg_review" in design.open_draft(ctx, FOOD, DESIGNER).bpmn_xml


def test_deployed_limit_and_label_reach_new_cases_only(person, food_restored) -> None:  # type: ignore[no-untyped-def]
    ctx = food_restored
    before = design.matter_versions(ctx, FOOD).latest
    # A case started before the deploy, waiting at its application form.
    old = start_case(ctx, FOOD, actor(ctx, "demo_citizen"), {})
    old_task = next(t for t in old.open_tasks if t.element_id == "apply")

    page = person("demo_designer")
    page.on("dialog", lambda dialog: dialog.accept())
    open_modeler(page, FOOD)
    promised = page.locator("#limit-promised_limit_wd")
    assert promised.input_value() == "5"
    promised.fill("4")
    page.click("#designer-save")
    assert wait_status(page, "#designer-status", "^草稿已保存$") == "草稿已保存"

    # The form editor: select 经营者名称, rename it in the properties panel; the server preview follows.
    with page.expect_navigation():
        page.click('.designer-forms a[href$="/forms/food_application"]')
    page.wait_for_selector("#form-designer[data-ready=true]")
    page.click('#form-editor .fjs-element[data-id="fd_operator_name"]')
    page.click('#form-editor [data-group-id="group-general"] .bio-properties-panel-group-header')
    label = page.locator("#bio-properties-panel-label")
    assert label.inner_text() == OLD_LABEL
    label.fill(NEW_LABEL)
    page.wait_for_function("t => document.getElementById('form-preview').textContent.includes(t)", arg=NEW_LABEL)
    preview = page.locator('#form-preview .field[data-key="operator_name"] label').inner_text()
    assert preview.startswith(NEW_LABEL)
    page.click("#form-save")
    assert wait_status(page, "#form-status", "^表单已保存") == "表单已保存到草稿"
    assert page.locator("#form-errors li").count() == 0

    # Back in the modeler: the limit was kept in the draft; validate, then deploy.
    with page.expect_navigation():
        page.get_by_role("link", name="返回流程设计").click()
    page.wait_for_selector("#designer[data-ready=true]")
    assert page.locator("#limit-promised_limit_wd").input_value() == "4"
    page.click("#designer-validate")
    assert wait_status(page, "#designer-status", "^校验通过") == "校验通过，可以部署"
    assert page.locator("#designer-problems").is_hidden()
    assert page.locator(".djs-element.ow-problem").count() == 0
    page.click("#designer-deploy")
    new_version = before.version + 1
    deployed = wait_status(page, "#designer-status", "^已部署")
    assert deployed.startswith(f"已部署为第 {new_version} 版"), deployed

    # The public matter list and the service guide show the new version and the new promised limit.
    with page.expect_navigation():
        page.locator("#designer-status a", has_text="查看办事指南").click()
    assert "承诺办结时限4 个工作日" in page.inner_text("table.facts").replace("\t", "")
    page.goto("/")
    row = page.locator(f'tr[data-matter="{FOOD}"]')
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[3:6] == ["10 个工作日", "4 个工作日", f"v{new_version}"], cells

    # The case started before keeps its version and its form; a new case gets the new label.
    citizen = person("demo_citizen")
    citizen.goto(f"/cases/{old.id}/tasks/{old_task.task_uuid}")
    assert operator_label(citizen).startswith(OLD_LABEL) and NEW_LABEL not in citizen.inner_text("main")
    assert get_case(ctx, old.id, with_data=False).definition_id == before.definition_id
    citizen.goto(f"/matters/{FOOD}")
    with citizen.expect_navigation():
        citizen.get_by_role("button", name="在线申报").click()
    assert re.search(r"/cases/\d+/tasks/[^/]+$", citizen.url), citizen.url
    assert operator_label(citizen).startswith(NEW_LABEL)
    new_id = int(citizen.url.split("/cases/")[1].split("/")[0])
    new_definition = design.matter_versions(ctx, FOOD).latest.definition_id
    assert get_case(ctx, new_id, with_data=False).definition_id == new_definition != before.definition_id


# -- the designer: a Camunda Modeler bundle -------------------------------------------------------

OUTDOOR_METADATA = {"code": "outdoor_ad", "name": "户外广告设施设置审批", "department": "城市管理局",
                    "implementation_code": "11320700014252401B3000180009001", "statutory_limit_wd": "20",
                    "promised_limit_wd": "10", "extension_limit_wd": "5", "fee": "不收费",
                    "legal_basis": "《城市市容和环境卫生管理条例》第十一条"}
OUTDOOR_APPLICATION = {"applicant_name": "滨江传媒有限公司", "uscc": "91350100M000100Y43",
                       "location": "南京市玄武区滨江路1号 东立面", "area_m2": "12", "facility_type": "signboard",
                       "contact_mobile": "13800138000"}


def test_camunda_bundle_is_imported_and_runs_through_the_pages(person, live_server) -> None:  # type: ignore[no-untyped-def]
    page = person("demo_designer")
    page.goto("/designer/")
    with page.expect_navigation():
        page.get_by_role("link", name="导入 Camunda Modeler 文件").click()
    page.set_input_files("#f-files", [str(p) for p in sorted(BUNDLE_DIR.iterdir())])
    for key, value in OUTDOOR_METADATA.items():
        page.fill(f"#f-{key}", value)
    page.select_option("#f-case_type", "承诺件")
    submit(page, "form.narrow button[type=submit]")
    assert page.url.endswith("/designer/outdoor_ad"), page.inner_text("main")[:1000]
    assert "已导入并部署“户外广告设施设置审批”第 1 版" in page.inner_text(".flash")
    page.wait_for_selector("#designer[data-ready=true]")
    for element in ("Activity_apply", "Activity_review", "Gateway_decision", "Activity_record"):
        assert page.locator(f'.djs-element[data-element-id="{element}"]').count() == 1, element
    page.goto("/")
    cells = [c.strip() for c in page.locator('tr[data-matter="outdoor_ad"] td').all_inner_texts()]
    assert cells[:7] == ["户外广告设施设置审批", "城市管理局", "承诺件", "20 个工作日", "10 个工作日", "v1", "办事指南"]

    # The fixture's candidate groups are ``applicant`` and ``window_clerk``: demo_citizen and demo_window.
    citizen = person("demo_citizen")
    citizen.goto("/matters/outdoor_ad")
    assert "10 个工作日" in citizen.inner_text("table.facts")
    with citizen.expect_navigation():
        citizen.get_by_role("button", name="在线申报").click()
    task_path = citizen.url.removeprefix(live_server.url)
    form = citizen.locator("section.task-form")
    assert "户外广告设施设置申请" in form.inner_text()  # the form's text component
    options = form.locator('select[name="facility_type"] option').all_inner_texts()
    assert {"招牌", "电子显示屏", "立柱广告"} <= {o.strip() for o in options}
    # Our server validates against the imported schema, in Chinese, and keeps what was typed.
    fill_form(citizen, {**OUTDOOR_APPLICATION, "uscc": "91350100M000100Y44", "area_m2": "9999"})
    assert submit(citizen).status == 422
    assert "表单填写有误，共 2 处" in citizen.inner_text(".form-errors")
    errors = citizen.locator(".field-error")
    assert citizen.locator('.field[data-key="uscc"] .field-error').inner_text() == "统一社会信用代码格式或校验位不正确"
    assert "不能大于500" in citizen.locator('.field[data-key="area_m2"] .field-error').inner_text()
    assert errors.count() == 2
    assert citizen.input_value('section.task-form [name="applicant_name"]') == "滨江传媒有限公司"
    fill_form(citizen, {"uscc": OUTDOOR_APPLICATION["uscc"], "area_m2": "12"})
    submit(citizen)
    assert re.search(r"/cases/\d+$", citizen.url), citizen.inner_text("main")[:1000]
    case_path = citizen.url.removeprefix(live_server.url)
    number = case_number(citizen)
    assert task_path.startswith(case_path + "/tasks/")

    clerk = person("demo_window")
    open_task(clerk, "/window", "Activity_review", number, claim=True)
    assert "滨江传媒有限公司" in clerk.inner_text("main")
    assert clerk.locator('section.task-form input[name="decision"]').count() == 2  # the imported review form
    fill_form(clerk, {"decision": "approve", "review_comment": "位置和面积符合设置规划"})
    submit(clerk)
    assert "已提交" in clerk.inner_text(".flash")

    citizen.goto(case_path)
    assert status_text(citizen) == "办结（通过）"
    view = get_case(live_server.ctx, int(case_path.rsplit("/", 1)[1]))
    assert view.status == "completed" and view.data["permit_no"] == "GG-" + number[-4:]


# -- the auditor -----------------------------------------------------------------------------------

BUNDLE_FILE = [{"id": "att-1", "name": "材料.pdf", "sha256": "ab" * 32}]
BUNDLE_APPLICATION: dict[str, Any] = {
    "project_code": "2025-320102-47-01-000888", "project_name": "滨江花园四期",
    "construction_address": "南京市玄武区滨江路101号", "construction_unit": "南京滨江置业有限公司",
    "credit_code": "91320102MA1XK2B3QK", "legal_representative": "王建国", "project_leader": "李明",
    "project_leader_mobile": "13912345678", "contract_price_wan": "8600.50", "building_area_m2": "45200",
    "floors_above": 18, "floors_below": 2, "structure_type": "frame_shear_wall", "planned_start_date": "2025-10-15",
    "planned_completion_date": "2027-06-30", "contractor": "江苏建工集团有限公司",
    "supervisor_unit": "南京工程监理有限公司", "planning_permit_no": "建字第320102202500888号",
    "drawing_review_cert_no": "SCS-2025-0888", "civil_defense": "not_required", "waste_types": ["工程渣土"],
    "waste_volume_m3": "32000", "transport_company": "南京绿源运输有限公司", "vehicle_plates": "苏A12345",
    "transport_hours": "22:00 至次日 5:00", "transport_route": "滨江路—龙蟠路—绕城公路",
    "disposal_site": "江宁区建筑垃圾消纳场", "disposal_start_date": "2025-10-15", "disposal_end_date": "2026-03-31",
    "delivery_method": "window",
    **{key: BUNDLE_FILE for key in ("file_application_form", "file_land_use", "file_planning_permit",
                                    "file_contracts", "file_drawing_review", "file_funding_commitment",
                                    "file_quality_safety", "file_waste_plan", "file_transport_contract",
                                    "file_disposal_acceptance")},
}


def _review(prefix: str, outcome: str = "pass", **extra: str) -> dict[str, str]:
    return {f"{prefix}_outcome": outcome, f"{prefix}_opinion": "符合法定条件。", **extra}


BUNDLE_STEPS: list[tuple[str, str, dict[str, Any]]] = [  # (element, demo account, values)
    ("apply", "demo_enterprise", BUNDLE_APPLICATION),
    ("rc_check", "demo_window", {"reception_decision": "accept", "reception_note": "材料齐全，予以受理"}),
    ("cg_chengban", "demo_cg_cb", _review("cg", "supplement", cg_supplement_items="消纳场受纳证明（原件）")),
    ("zj_chengban", "demo_zj_cb", _review("zj")),
    ("zj_shenhe", "demo_zj_sh", _review("zj")),
    ("cg_supplement", "demo_enterprise", {"cg_supplement_files": BUNDLE_FILE, "cg_supplement_note": "已补原件"}),
    ("zj_pizhun", "demo_zj_pz", _review("zj")),
    ("cg_chengban", "demo_cg_cb", _review("cg")),
    ("cg_shenhe", "demo_cg_sh", _review("cg")),
    ("cg_pizhun", "demo_cg_pz", _review("cg")),
    ("dl_pickup", "demo_window", {"picked_up_by": "李明", "pickup_id_number": "11010519491231002X"}),
    ("dl_rating", "demo_enterprise", {"rating": "very_satisfied", "rating_comment": "一次办两证"}),
]


@pytest.fixture(scope="module")
def bundle_case(live_server: LiveServer) -> int:
    """A finished 两证打包审 case with a 补正 round at 城管, driven through the services by the demo accounts."""
    ctx = live_server.ctx
    case_id = start_case(ctx, "construction_bundle", actor(ctx, "demo_enterprise"), {}).id
    for element_id, username, values in BUNDLE_STEPS:
        complete(ctx, case_id, element_id, username, values)
    view = get_case(ctx, case_id, with_data=False)
    assert (view.status, view.blzt) == ("completed", 11)
    return case_id


def _seq_before_form(history: list[Any], element_id: str) -> int:
    """The last history row before ``element_id``'s form was first submitted: the moment it waited there."""
    return next(h.seq for h in history if h.event_type == "form_submitted" and h.element_id == element_id) - 1


def open_tasks_shown(page: Any) -> list[str]:
    return sorted(e for e in page.locator("#replay-open li").evaluate_all(
        "items => items.map(li => li.dataset.element || '')") if e)


def replay_to(page: Any, seq: int, total: int) -> None:
    page.wait_for_function("t => document.getElementById('replay-pos').textContent === t",
                           arg=f"第 {seq} / {total} 条")
    page.wait_for_function("() => !document.getElementById('replay-state').classList.contains('loading')")
    page.wait_for_function("s => document.querySelector('#replay-event b').textContent === s", arg=str(seq))


def test_auditor_replays_a_finished_bundle_case(person, live_server, bundle_case) -> None:  # type: ignore[no-untyped-def]
    ctx = live_server.ctx
    history = case_history(ctx, bundle_case)
    total = len(history)
    early, middle = _seq_before_form(history, "rc_check"), _seq_before_form(history, "cg_chengban")
    number = get_case(ctx, bundle_case, with_data=False).case_number

    auditor = person("demo_auditor")
    auditor.goto("/audit")
    with auditor.expect_navigation():
        auditor.locator(f'tr[data-case="{number}"] a', has_text=number).click()
    assert auditor.inner_text("h1 .case-number") == number
    assert f"完整（{total} 条记录）" in auditor.inner_text("table.facts")

    # Five tabs, the timeline first; the others show when chosen.
    tabs = auditor.locator("[role=tab]").all_inner_texts()
    assert tabs == ["时间线", "流程图", "回放", "数据差异", "校验"], tabs
    assert auditor.locator("#panel-timeline").is_visible() and auditor.locator("#panel-replay").is_hidden()

    # 流程图: the diagram of the final state: the path the case took is marked, nothing is waiting.
    auditor.click("#tab-diagram")
    for element in ("call_reception", "zj_chengban", "zj_shenhe", "zj_pizhun", "cg_chengban", "cg_supplement",
                    "cg_pizhun", "call_delivery"):
        auditor.wait_for_selector(f'#case-diagram .djs-element.audit-done[data-element-id="{element}"]')
    assert auditor.locator("#case-diagram .djs-element.audit-active").count() == 0
    assert auditor.locator("#case-diagram .djs-element.audit-flow").count() > 10
    shoot(auditor, "audit-diagram")

    # 回放: its own diagram, at the last row to begin with.
    auditor.click("#tab-replay")
    auditor.wait_for_selector('#audit-diagram .djs-element.audit-done[data-element-id="call_delivery"]')
    assert open_tasks_shown(auditor) == [] and auditor.inner_text("#replay-open") == "无"
    assert auditor.inner_text("#replay-pos") == f"第 {total} / {total} 条"

    # The slider to an early step: the window's 收件审查 is open (shown on its call activity).
    slider = auditor.locator("#replay-seq")
    slider.fill(str(early))
    replay_to(auditor, early, total)
    assert open_tasks_shown(auditor) == ["rc_check"]
    assert "收件审查" in auditor.inner_text("#replay-open")
    auditor.wait_for_selector('#audit-diagram .djs-element.audit-active[data-element-id="call_reception"]')
    assert auditor.locator("#audit-diagram .djs-element.audit-done[data-element-id='zj_chengban']").count() == 0
    assert auditor.locator(f"#seq-{early}.current").count() == 1

    # 下一步 / 上一步 move one row at a time.
    auditor.click("#replay-next")
    replay_to(auditor, early + 1, total)
    auditor.click("#replay-prev")
    replay_to(auditor, early, total)
    assert open_tasks_shown(auditor) == ["rc_check"]

    # A middle step: both departments' 承办 wait in parallel.
    slider.fill(str(middle))
    replay_to(auditor, middle, total)
    assert open_tasks_shown(auditor) == ["cg_chengban", "zj_chengban"]
    for element in ("zj_chengban", "cg_chengban"):
        auditor.wait_for_selector(f'#audit-diagram .djs-element.audit-active[data-element-id="{element}"]')
    badges = auditor.locator("#audit-diagram .audit-badge.active").all_inner_texts()
    assert sorted(badges) == ["待办 · 承办", "待办 · 承办"], badges
    assert auditor.locator('#audit-diagram .djs-element.audit-done[data-element-id="call_reception"]').count() == 1
    assert auditor.locator("#case-diagram .audit-badge.active").count() == 0  # 流程图 still shows the end
    assert "受理通知书" in auditor.inner_text("#replay-documents")

    # The last row: nothing is open any more.
    slider.fill(str(total - 1))
    replay_to(auditor, total - 1, total)
    auditor.click("#replay-next")
    replay_to(auditor, total, total)
    assert open_tasks_shown(auditor) == []
    assert auditor.inner_text("#replay-blzt") == "办结（通过）"

    # The timeline: every form as it was submitted, and each document with its hash, checked.
    submitted = {h.element_id: h.seq for h in history if h.event_type == "form_submitted"}
    assert auditor.locator('.audit-timeline tr[data-event="form_submitted"]').count() == len(BUNDLE_STEPS)
    for element_id, shown in (("apply", "滨江花园四期"), ("cg_supplement", "已补原件"), ("dl_rating", "一次办两证")):
        payload = auditor.locator(f"#seq-{submitted[element_id]} details.payload")
        assert payload.get_attribute("open") is not None  # the submitted original is shown unfolded
        assert "提交原文" in payload.inner_text() and shown in payload.inner_text(), element_id
    documents = case_documents(ctx, bundle_case)
    titles = {d.title for d in documents}
    assert {"受理通知书", "补正材料通知书", "建筑工程施工许可证", "城市建筑垃圾处置核准文件"} <= titles
    rows = auditor.locator("table.audit-docs tbody tr")
    assert rows.count() == len(documents)
    for document in documents:
        row = rows.filter(has=auditor.locator("code.hash", has_text=document.sha256))
        assert row.count() == 1, document.title
        assert document.title in row.inner_text() and "一致" in row.inner_text()
    shown = auditor.locator(".audit-timeline tr[data-seq]").evaluate_all(
        "rows => rows.map(r => [Number(r.dataset.seq), r.querySelector('code.hash').title])")
    assert shown == [[row.seq, row.row_hash] for row in history]


@pytest.fixture
def tampered_case(live_server: LiveServer) -> Iterator[tuple[int, int, str]]:
    """A case of its own whose submitted application is rewritten in the database, and put back afterwards."""
    ctx = live_server.ctx
    case_id = start_case(ctx, FOOD, actor(ctx, "demo_citizen"), {}).id
    complete(ctx, case_id, "apply", "demo_citizen", {
        "operator_name": "鼓楼区小李面馆", "uscc": "91320100MA1M11110A", "legal_representative": "李小明",
        "premises_address": "南京市鼓楼区中山北路2号", "business_items": ["hot_food"], "premises_area_m2": "60",
        "contact_mobile": "13800138000", "delivery_method": "window"})
    seq = next(h.seq for h in case_history(ctx, case_id) if h.event_type == "form_submitted")
    where = "WHERE case_id = :case AND seq = :seq"
    with ctx.db.engine.begin() as conn:
        original = conn.execute(text(f"SELECT data_after FROM history_events {where}"),
                                {"case": case_id, "seq": seq}).scalar_one()
        assert "鼓楼区小李面馆" in original
        conn.execute(text(f"UPDATE history_events SET data_after = :value {where}"),
                     {"value": original.replace("鼓楼区小李面馆", "鼓楼区老王面馆"), "case": case_id, "seq": seq})
    try:
        yield case_id, seq, get_case(ctx, case_id, with_data=False).case_number
    finally:
        with ctx.db.engine.begin() as conn:
            conn.execute(text(f"UPDATE history_events SET data_after = :value {where}"),
                         {"value": original, "case": case_id, "seq": seq})


def test_an_edited_history_row_is_named_on_verify(person, tampered_case) -> None:  # type: ignore[no-untyped-def]
    case_id, seq, number = tampered_case
    auditor = person("demo_auditor")
    auditor.goto("/audit")
    with auditor.expect_navigation():
        auditor.get_by_role("link", name="校验全部办件").click()
    assert "件办件的哈希链已断开" in auditor.inner_text("#verify-summary")
    broken = auditor.locator(f'table.verify-broken tr.bad[data-case="{number}"]')
    assert broken.count() == 1, auditor.inner_text("main")[:1500]
    assert f"第 {seq} 条" in broken.inner_text() and "记录被修改" in broken.inner_text()

    # The link leads to the row in the case's timeline, marked there.
    with auditor.expect_navigation():
        broken.get_by_role("link", name=f"第 {seq} 条").click()
    assert auditor.url.endswith(f"/audit/cases/{case_id}#seq-{seq}")
    assert "已断开" in auditor.inner_text("table.facts")
    assert "bad" in auditor.get_attribute(f"#seq-{seq}", "class").split()
    assert "鼓楼区老王面馆" in auditor.text_content(f"#seq-{seq} td.data")  # what the database now says
    auditor.goto(f"/audit/cases/{case_id}/verify")
    assert f"首条异常记录为第 {seq} 条" in auditor.inner_text("#verify-summary")


def test_xes_export_downloads_and_reads_in_pm4py(person, live_server, bundle_case, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    number = get_case(live_server.ctx, bundle_case, with_data=False).case_number
    auditor = person("demo_auditor")
    auditor.goto("/audit#export")
    export = auditor.locator('form[action="/audit/export"]')
    export.locator('select[name="format"]').select_option("xes")
    export.locator('select[name="matter"]').select_option("construction_bundle")
    with auditor.expect_download() as download_info:
        export.get_by_role("button", name="下载").click()
    download = download_info.value
    assert re.fullmatch(r"onewindow-construction_bundle-\d{8}\.xes", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py

        log = pm4py.read_xes(str(path))
    assert number in set(log["case:concept:name"])
    trace = log[log["case:concept:name"] == number]
    completed = trace[trace["lifecycle:transition"] == "complete"]
    elements = list(completed["element_id"])
    for element_id in ("apply", "rc_check", "zj_chengban", "cg_supplement", "cg_pizhun", "dl_rating"):
        assert element_id in elements, element_id
    assert elements.count("cg_chengban") == 2  # before and after the 补正
    assert set(trace["org:resource"]) >= {"demo_enterprise", "demo_window", "demo_cg_cb", "demo_zj_pz"}
    assert set(log["case:matter"]) == {"construction_bundle"}  # only the matter chosen on the page
