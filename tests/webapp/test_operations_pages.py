"""The operations console in the web app and the API: an incident listed, fixed and retried through
the form; suspend and terminate by form; a message correlated by 办件编号 through the REST API (a fixture's
and the shipped 存量房转移登记's 缴税到账)."""

from __future__ import annotations

import re

from flask import Flask

from engine.actors import Actor
from engine.definitions.bundles import collect_matter_files
from engine.services import cases
from engine.services import tasks
from engine.services.deploy import deploy_files
from tests.conftest import FIXTURES
from tests.conftest import dept_actor
from tests.processes.test_realestate_tax import APPLICATION
from tests.processes.test_realestate_tax import RECEIPT
from tests.processes.test_realestate_tax import TAX
from tests.readback import get_case
from tests.webapp.conftest import User


def _deploy(app: Flask, name: str) -> None:
    ctx = app.extensions["onewindow"]
    files = collect_matter_files(FIXTURES / "elements" / name, FIXTURES / "forms")
    deploy_files(ctx, files, Actor("designer", groups=frozenset({"designer"})))


def _failing_case(app: Flask) -> int:
    ctx = app.extensions["onewindow"]
    _deploy(app, "incident_script")
    view = cases.start_case(ctx, "incident_script", Actor.system())
    tasks.complete_task(ctx, view.id, view.open_tasks[0].task_uuid, {"a_opinion": "approve"}, dept_actor("a_cb"))
    return view.id


def test_an_incident_is_listed_fixed_and_retried_from_the_console(web_app: Flask) -> None:
    case_id = _failing_case(web_app)
    ctx = web_app.extensions["onewindow"]
    number = get_case(ctx, case_id).case_number
    admin = User(web_app, "demo_admin")
    index = admin.get("/ops/?incident=1").get_data(as_text=True)
    assert number in index and "计算费用" in index and "area_m2" in index
    incident_id = int(re.search(r'data-incident="(\d+)"', index).group(1))
    page = admin.get(f"/ops/incidents/{incident_id}").get_data(as_text=True)
    assert "变量“area_m2”没有值" in page and '"a_opinion": "approve"' in page
    refused = admin.post(f"/ops/incidents/{incident_id}/retry", {"data": "{area_m2: 1", "reason": "补录"})
    assert refused.status_code == 422 and "JSON" in refused.get_data(as_text=True)
    assert get_case(ctx, case_id).status == "failed"
    done = admin.post(f"/ops/incidents/{incident_id}/retry", {"data": '{"area_m2": 90}', "reason": "补录面积"})
    assert done.status_code == 302
    after = get_case(ctx, case_id)
    assert after.status == "completed" and after.data["fee"] == 180
    listed = admin.api("GET", "/api/v1/incidents?status=resolved").get_json()
    assert any(i["id"] == incident_id and i["status"] == "resolved" for i in listed["items"])


def test_suspend_and_terminate_from_the_case_page(web_app: Flask) -> None:
    ctx = web_app.extensions["onewindow"]
    _deploy(web_app, "el_message_catch")
    view = cases.start_case(ctx, "el_message_catch", Actor.system())
    admin = User(web_app, "demo_admin")
    assert "调整流程位置" in admin.get(f"/ops/cases/{view.id}").get_data(as_text=True)
    assert admin.post(f"/ops/cases/{view.id}/suspend", {"reason": ""}).status_code == 422
    assert admin.post(f"/ops/cases/{view.id}/suspend", {"reason": "系统维护"}).status_code == 302
    assert get_case(ctx, view.id).status == "suspended"
    window = User(web_app, "demo_window")
    assert window.post(f"/ops/cases/{view.id}/resume", {"reason": "我来恢复"}).status_code == 403
    assert admin.post(f"/ops/cases/{view.id}/terminate", {"reason": "申请人撤回申请"}).status_code == 302
    assert get_case(ctx, view.id).status == "cancelled"
    [document] = cases.case_documents(ctx, view.id)
    assert document.title == "终止办理通知书" and "申请人撤回申请" in document.html


def test_a_message_correlated_by_case_number_through_the_api(web_app: Flask) -> None:
    ctx = web_app.extensions["onewindow"]
    _deploy(web_app, "el_receive_task")
    view = cases.start_case(ctx, "el_receive_task", Actor.system())
    admin = User(web_app, "demo_admin")
    unknown = admin.api("POST", "/api/v1/messages", {"name": "licence_issued", "correlation": {"办件编号": "X" * 43}})
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "not_found"
    to_case = {"name": "licence_issued", "correlation": {"办件编号": view.case_number}}
    bad = admin.api("POST", "/api/v1/messages", {**to_case, "payload": {"licence_no": 7}})
    assert bad.status_code == 422 and "licence_no" in bad.get_json()["errors"]
    sent = admin.api("POST", "/api/v1/messages", {**to_case, "payload": {"licence_no": "JY1320"}})
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["delivered"] == [{"case_id": view.id, "case_number": view.case_number,
                                             "status": "completed"}]
    assert get_case(ctx, view.id).data["licence_no"] == "JY1320"
    citizen = User(web_app, "demo_citizen")
    assert citizen.api("POST", "/api/v1/messages", {"name": "licence_issued"}).status_code == 403


def test_a_token_move_forwards_is_previewed_and_made_from_the_case_page(web_app: Flask) -> None:
    ctx = web_app.extensions["onewindow"]
    files = collect_matter_files(FIXTURES / "matters" / "timer_review", FIXTURES / "forms")
    deploy_files(ctx, files, Actor("designer", groups=frozenset({"designer"})))
    view = cases.start_case(ctx, "timer_review", Actor.system())
    admin = User(web_app, "demo_admin")
    page = admin.get(f"/ops/cases/{view.id}").get_data(as_text=True)
    assert "移到：科长督办" in page and "review_overdue" not in page  # a boundary event is no target
    refused = admin.get(f"/ops/cases/{view.id}?target=review_overdue").get_data(as_text=True)
    assert "边界事件依附于所在环节" in refused and "确认调整" not in refused
    preview = admin.get(f"/ops/cases/{view.id}?target=escalate").get_data(as_text=True)
    assert "当前待办：审查（将取消）" in preview and "调整后待办：科长督办" in preview and "确认调整" in preview
    assert admin.post(f"/ops/cases/{view.id}/move", {"target": "escalate", "reason": ""}).status_code == 422
    assert admin.post(f"/ops/cases/{view.id}/move", {"target": "escalate", "reason": "已线下审查"}).status_code == 302
    assert [t.element_id for t in get_case(ctx, view.id).open_tasks] == ["escalate"]


def test_a_case_waiting_for_a_service_call_shows_it_on_its_console_page(web_app: Flask) -> None:
    ctx = web_app.extensions["onewindow"]
    _deploy(web_app, "el_http_service")
    view = cases.start_case(ctx, "el_http_service", Actor.system())
    assert view.open_tasks == ()
    page = User(web_app, "demo_admin").get(f"/ops/cases/{view.id}").get_data(as_text=True)
    assert "等待外部系统应答" in page and "不动产登记核验" in page and "property_registry" in page


def test_bulk_migrate_by_selection_lists_the_cases_it_could_not_move(web_app: Flask) -> None:
    ctx = web_app.extensions["onewindow"]
    designer = Actor("designer", groups=frozenset({"designer"}))
    files = collect_matter_files(FIXTURES / "elements" / "el_pass_through", FIXTURES / "forms")
    deploy_files(ctx, files, designer)
    older = cases.start_case(ctx, "el_pass_through", Actor.system())
    files["matter.toml"] = files["matter.toml"].replace('name = "', 'name = "（第二版）', 1)
    deploy_files(ctx, files, designer)
    newer = cases.start_case(ctx, "el_pass_through", Actor.system())
    admin = User(web_app, "demo_admin")
    assert "迁移到最新版本" in admin.get("/ops/").get_data(as_text=True)
    done = admin.post("/ops/bulk", {"action": "migrate", "case_id": [str(older.id), str(newer.id)],
                                    "reason": "第二版上线"})
    assert done.status_code == 302
    page = admin.get("/ops/").get_data(as_text=True)
    assert "批量操作完成 1 件" in page and f"#{newer.id} 未迁移：已是最新版本" in page
    assert get_case(ctx, older.id).definition_id == get_case(ctx, newer.id).definition_id


def test_the_tax_systems_tax_paid_message_by_case_number_moves_a_realestate_case_on(web_app: Flask) -> None:
    """一事联办 in a shipped matter: 存量房转移登记 waits for 缴税到账; the tax system posts it by 办件编号."""
    ctx = web_app.extensions["onewindow"]
    applicant = Actor("u_applicant", "王敏", frozenset({"applicant"}))
    view = cases.start_case(ctx, "realestate_tax", applicant)

    def do(element: str, values: dict[str, object]) -> None:
        task = next(t for t in get_case(ctx, view.id).open_tasks if t.element_id == element)
        group = task.candidate_groups[0]
        tasks.complete_task(ctx, view.id, task.task_uuid, values, applicant if group == "applicant" else
                            dept_actor(group))

    do("apply", APPLICATION)
    do("rc_check", {"reception_decision": "accept"})
    do("trade_check", {"trade_contract_no": "WQ2025092600123", "trade_result": "ok", "trade_note": "网签备案有效"})
    do("reg_review", {"registration_review_result": "ok", "registration_checks": ["ownership"],
                      "registration_review_note": "权属清晰，无查封"})
    do("tax_assess", TAX)
    assessed = get_case(ctx, view.id)
    assert [t.element_id for t in assessed.open_tasks] == ["tax_collect"] and assessed.case_number
    # Both doors say what the case waits for beside the officer's task: the same projection.
    supervisor = User(web_app, "demo_supervisor")
    page = supervisor.get(f"/cases/{view.id}").get_data(as_text=True)
    assert re.search(r'data-field="waits">.*等待缴税到账（消息 tax_paid），自 2025-09-26 10:00', page), page
    waits = supervisor.api("GET", f"/api/v1/cases/{view.id}").get_json()["waits"]
    assert {(w["element_name"], w["name"]) for w in waits} >= {("等待缴税到账", "tax_paid")}
    tax_system = User(web_app, "demo_admin")
    wrong = tax_system.api("POST", "/api/v1/messages",
                           {"name": "tax_paid", "correlation": {"办件编号": "X" * 43}, "payload": RECEIPT})
    assert wrong.status_code == 404
    after_wrong = get_case(ctx, view.id)
    assert [t.element_id for t in after_wrong.open_tasks] == ["tax_collect"] and after_wrong.data["tax_paid"] is False
    sent = tax_system.api("POST", "/api/v1/messages",
                          {"name": "tax_paid", "correlation": {"办件编号": assessed.case_number}, "payload": RECEIPT})
    assert sent.status_code == 200, sent.get_json()
    assert [d["case_id"] for d in sent.get_json()["delivered"]] == [view.id]
    after = get_case(ctx, view.id)
    assert [t.element_id for t in after.open_tasks] == ["register"]
    assert after.data["tax_paid"] is True and after.data["tax_receipt_no"] == RECEIPT["receipt_no"]
    assert "等待缴税到账" not in supervisor.get(f"/cases/{view.id}").get_data(as_text=True)
