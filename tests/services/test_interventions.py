"""The operations console's interventions: suspend/resume with timers held, termination with its
served document, a token move with its preview, bulk actions; each in history, none by a clerk."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.definitions.bundles import collect_matter_files
from engine.errors import CaseSuspended
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.errors import TaskNotReady
from engine.services import cases
from engine.services import tasks
from engine.services.context import EngineContext
from engine.services.deploy import deploy_files
from engine.services.deploy import deploy_path
from engine.services.operations.incidents import list_incidents
from engine.services.operations.interventions import bulk_action
from engine.services.operations.interventions import move_token
from engine.services.operations.interventions import plan_move
from engine.services.operations.interventions import resume_case
from engine.services.operations.interventions import suspend_case
from engine.services.operations.interventions import terminate_case
from engine.services.timers import fire_due_timers
from tests.conftest import FIXTURES
from tests.conftest import dept_actor
from tests.readback import get_case

ADMIN = Actor("ops1", "运维管理员", frozenset({"admin"}))


def _history(ctx: EngineContext, case_id: int) -> list[str]:
    return [h.event_type for h in cases.case_history(ctx, case_id)]


def test_a_suspended_case_holds_its_timer_and_resume_shifts_it(deployed: EngineContext, clock: FixedClock) -> None:
    view = cases.start_case(deployed, "timer_review", Actor.system())
    due = view.next_timer_due
    assert due == clock.now() + timedelta(days=2)
    suspend_case(deployed, view.id, ADMIN, "申请人申请暂缓")
    held = get_case(deployed, view.id)
    assert held.status == "suspended" and held.next_timer_due is None
    clock.advance(days=3)
    assert fire_due_timers(deployed) == 0  # held: the 2-day timer does not fire
    with pytest.raises(CaseSuspended):
        tasks.complete_task(deployed, view.id, view.open_tasks[0].task_uuid, {"a_opinion": "approve"},
                            dept_actor("a_cb"))
    resumed = resume_case(deployed, view.id, ADMIN, "材料已到")
    assert resumed.status == "running"
    assert resumed.next_timer_due == due + timedelta(days=3)  # pushed back by the 3 days it was held
    assert fire_due_timers(deployed) == 0
    clock.advance(days=2, seconds=1)
    assert fire_due_timers(deployed) == 1
    assert [t.element_id for t in get_case(deployed, view.id).open_tasks] == ["escalate"]
    history = cases.case_history(deployed, view.id)
    suspended = next(h for h in history if h.event_type == "case_suspended")
    assert suspended.actor_id == "ops1" and suspended.payload == {"reason": "申请人申请暂缓"}
    assert next(h for h in history if h.event_type == "case_resumed").data_after["held_seconds"] == 3 * 86400


def test_terminating_a_case_cancels_it_and_serves_the_termination_notice(deployed: EngineContext) -> None:
    view = cases.start_case(deployed, "timer_review", Actor.system())
    ended = terminate_case(deployed, view.id, ADMIN, "申请人书面申请撤回")
    assert ended.status == "cancelled" and ended.open_tasks == () and ended.next_timer_due is None
    [document] = cases.case_documents(deployed, view.id)
    assert document.title == "终止办理通知书" and "申请人书面申请撤回" in document.html
    assert {"case_terminated", "document_issued"} <= set(_history(deployed, view.id))
    with pytest.raises(TaskNotReady):
        tasks.complete_task(deployed, view.id, view.open_tasks[0].task_uuid, {"a_opinion": "approve"},
                            dept_actor("a_cb"))


def test_a_token_move_is_previewed_then_sends_the_case_back(deployed: EngineContext) -> None:
    view = cases.start_case(deployed, "parallel_review", Actor.system())
    submit = view.open_tasks[0]
    tasks.complete_task(deployed, view.id, submit.task_uuid,
                        {"project_name": "滨江花园二期", "uscc": "91350100M000100Y43", "area_m2": "12000",
                         "contact_mobile": "13800138000"}, Actor("system", "", frozenset({"applicant"})))
    opened = sorted(t.element_id for t in get_case(deployed, view.id).open_tasks)
    assert opened == ["a_cb", "b_cb"]
    plan = plan_move(deployed, view.id, ADMIN, "submit")
    assert [t.element_id for t in plan.targets][0] == "submit" and plan.targets[0].back
    assert sorted(plan.open_before) == ["住建承办", "城管承办"] and plan.open_after == ("提交申请",)
    assert sorted(t.element_id for t in get_case(deployed, view.id).open_tasks) == opened  # preview saved nothing
    moved = move_token(deployed, view.id, ADMIN, "submit", "申请材料填错，退回重填")
    assert [t.element_id for t in moved.open_tasks] == ["submit"]
    assert next(h for h in cases.case_history(deployed, view.id) if h.event_type == "token_moved").data_after["to"] \
        == "submit"
    with pytest.raises(FormDataInvalid):
        move_token(deployed, view.id, ADMIN, "split", "移到网关")


def test_clerks_may_not_intervene_and_a_reason_is_required(deployed: EngineContext) -> None:
    view = cases.start_case(deployed, "timer_review", Actor.system())
    clerk = dept_actor("a_cb")
    for action in (suspend_case, terminate_case, resume_case):
        with pytest.raises(NotAllowed):
            action(deployed, view.id, clerk, "我来")
    with pytest.raises(FormDataInvalid):
        suspend_case(deployed, view.id, ADMIN, " ")
    assert get_case(deployed, view.id).status == "running"
    assert not {"case_suspended", "case_terminated"} & set(_history(deployed, view.id))


def test_bulk_suspend_resume_and_retry_by_selection(deployed: EngineContext, ctx: EngineContext,
                                                    designer: Actor) -> None:
    deploy_path(ctx, FIXTURES / "elements" / "incident_script", designer)
    ids = [cases.start_case(deployed, "timer_review", Actor.system()).id for _ in range(2)]
    outcomes = bulk_action(deployed, ADMIN, "suspend", [*ids, ids[0]], "系统维护")
    assert [(o.case_id, o.ok) for o in outcomes] == [(ids[0], True), (ids[1], True)]
    again = bulk_action(deployed, ADMIN, "suspend", ids, "再次挂起")
    assert not any(o.ok for o in again) and all("已被挂起" in o.message for o in again)
    assert all(o.ok for o in bulk_action(deployed, ADMIN, "resume", ids, "维护结束"))
    failing = cases.start_case(deployed, "incident_script", Actor.system())
    tasks.complete_task(deployed, failing.id, failing.open_tasks[0].task_uuid, {"a_opinion": "approve"},
                        dept_actor("a_cb"))
    [retried] = bulk_action(deployed, ADMIN, "retry", [failing.id], "外部数据已补录")
    assert retried.ok and retried.message == "failed"  # nothing fixed yet: still failing, attempt counted
    assert list_incidents(deployed, ADMIN)[0].attempts == 2


def test_bulk_migrate_moves_the_selected_cases_to_the_newest_version(deployed: EngineContext,
                                                                      designer: Actor) -> None:
    older = [cases.start_case(deployed, "timer_review", Actor.system()).id for _ in range(2)]
    files = collect_matter_files(FIXTURES / "matters" / "timer_review", FIXTURES / "forms")
    files["matter.toml"] = files["matter.toml"].replace('name = "', 'name = "（第二版）', 1)
    assert deploy_files(deployed, files, designer).version == 2
    newer = cases.start_case(deployed, "timer_review", Actor.system()).id
    outcomes = bulk_action(deployed, ADMIN, "migrate", [*older, newer, 999999], "第二版上线，迁移在办件")
    assert [(o.case_id, o.ok) for o in outcomes] == [(older[0], True), (older[1], True), (newer, False),
                                                      (999999, False)]
    assert outcomes[0].message == "已从第 1 版迁移到第 2 版"
    assert "已是最新版本（第 2 版）" in outcomes[2].message and "未找到办件" in outcomes[3].message
    assert len({get_case(deployed, case_id).definition_id for case_id in [*older, newer]}) == 1
    for case_id in older:
        [migrated] = [h for h in cases.case_history(deployed, case_id) if h.event_type == "case_migrated"]
        assert migrated.actor_id == "ops1" and migrated.payload == {"reason": "第二版上线，迁移在办件"}
    assert not [h for h in cases.case_history(deployed, newer) if h.event_type == "case_migrated"]
